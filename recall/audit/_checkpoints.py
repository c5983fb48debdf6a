"""Checkpoints of the audit chain kept outside the database, where its writers cannot reach.

Each verified tip is written as a small JSON file (sequence number, hash, the key of that
entry, how many unkeyed entries start the chain) with an HMAC under the audit key, so a cut
tail is found even when the head row was moved back, and a swapped file is found too.
Files are written atomically (temporary file + rename); the latest few and the last of
every day are kept. The result of the latest full re-hash is kept beside them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from recall import clock, keys
from recall.settings import get_settings

KEEP_LATEST = 20
PREFIX = "checkpoint-"
FULL_RUN = "full-verification.json"


class CheckpointAltered(Exception):
    """A checkpoint file whose MAC does not match: someone wrote it without the key."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"audit checkpoint {path} does not match its MAC")
        self.path = path


class CheckpointKeyUnknown(CheckpointAltered):
    """A checkpoint signed with a key no longer in the ring (a secret key dropped too soon)."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    key_id: str | None  # the key of the entry at seq (None: unkeyed)
    unkeyed: int  # the chain starts with this many unkeyed entries, and has no others
    written_at: str


@dataclass(frozen=True)
class FullRun:
    """The latest re-hash of the whole chain."""

    at: str
    ok: bool
    entries: int
    first_bad: int | None
    problem: str


def directory() -> Path:
    return get_settings().audit_checkpoint_dir


def load() -> list[Checkpoint]:
    """Every checkpoint, oldest first; CheckpointAltered when a file was not written by us."""
    folder = directory()
    if not folder.is_dir():
        return []
    found = [_read(path) for path in folder.glob(f"{PREFIX}*.json")]
    return sorted((point for point in found if point is not None), key=lambda point: point.seq)


def save(point: Checkpoint) -> None:
    _write(directory() / f"{PREFIX}{point.seq:015d}.json", asdict(point))
    _prune()


def latest_full_run() -> FullRun | None:
    path = directory() / FULL_RUN
    if not path.exists():
        return None
    fields = _verified(path)
    return FullRun(**fields) if fields is not None else None


def save_full_run(run: FullRun) -> None:
    _write(directory() / FULL_RUN, asdict(run))


def now() -> str:
    return clock.now().isoformat()


def _mac(key: keys.Key, fields: dict[str, Any]) -> str:
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(key.material, text, hashlib.sha256).hexdigest()


def _write(path: Path, fields: dict[str, Any]) -> None:
    key = keys.current(keys.AUDIT)
    document = {"fields": fields, "key_id": key.id, "mac": _mac(key, fields)}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(document, file, sort_keys=True)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)  # atomic: a reader sees the old file or the new one
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _verified(path: Path) -> dict[str, Any] | None:
    """The file's fields when its MAC holds; None when it vanished (pruned meanwhile)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        raise CheckpointAltered(path) from None
    try:
        fields, key_id, mac = document["fields"], document["key_id"], document["mac"]
        key = keys.ring(keys.AUDIT).get(str(key_id))
        if key is None:
            raise CheckpointKeyUnknown(path)
        if not isinstance(fields, dict):
            raise CheckpointAltered(path)
        if not hmac.compare_digest(_mac(key, fields), str(mac)):
            raise CheckpointAltered(path)
    except (KeyError, TypeError):
        raise CheckpointAltered(path) from None
    return fields


def _read(path: Path) -> Checkpoint | None:
    fields = _verified(path)
    if fields is None:
        return None
    try:
        point = Checkpoint(**fields)
    except TypeError:
        raise CheckpointAltered(path) from None
    if path.name != f"{PREFIX}{point.seq:015d}.json":
        raise CheckpointAltered(path)  # a genuine file renamed to pass for another
    return point


def _prune() -> None:
    """Keep the latest KEEP_LATEST checkpoints and the last one of every day."""
    paths = sorted(directory().glob(f"{PREFIX}*.json"))
    keep = set(paths[-KEEP_LATEST:])
    last_of_day: dict[str, Path] = {}
    for path in paths:
        try:
            day = datetime.fromtimestamp(path.stat().st_mtime).date().isoformat()
        except FileNotFoundError:  # pruned by another process meanwhile
            continue
        last_of_day[day] = path
    keep.update(last_of_day.values())
    for path in paths:
        if path not in keep:
            path.unlink(missing_ok=True)

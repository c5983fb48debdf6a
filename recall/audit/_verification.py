"""Checking the audit chain: from the last checkpoint (fast), or every entry (`full`)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from recall import db
from recall.audit import _checkpoints as checkpoints
from recall.audit._chain import GENESIS_HASH, Hasher, row_material
from recall.audit._checkpoints import Checkpoint, CheckpointAltered, CheckpointKeyUnknown, FullRun

PAGE = 5000
_COLUMNS = (
    "seq, at, actor_id, actor_name, entity, entity_id, action, old_values, new_values, "
    "reason, prev_hash, hash, key_id"
)


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int  # entries known good: the chain's length when ok
    first_bad: int | None
    problem: str = ""
    checked: int = 0  # entries re-hashed by this run
    full: bool = False  # whether it re-hashed from the first entry
    since: int = 0  # the checkpoint it went on from (0: the start)
    last_full: FullRun | None = None


@dataclass
class _Walk:
    """Where a walk along the chain stands."""

    seq: int
    hash: str
    key_id: str | None
    rank: int
    unkeyed: int  # unkeyed entries at the chain's start
    checked: int = 0
    since: int = 0


class _Broken(Exception):
    def __init__(self, seq: int | None, problem: str) -> None:
        self.seq, self.problem = seq, problem


async def verify(*, full: bool = False) -> Verification:
    """Check the chain in one snapshot and checkpoint its tip when it holds.

    Incremental (default): re-hash only the entries after the latest checkpoint, and check
    every checkpoint still lies on the chain. `full`: re-hash every entry, and keep the
    result, which incremental runs then report for as long as it names a problem.
    """
    # Files first, then the snapshot: every checkpoint read was written from a state this
    # snapshot already sees, so one written meanwhile by another process is never "ahead".
    last_full = checkpoints.latest_full_run()
    hasher = Hasher()
    try:
        points = checkpoints.load()
    except CheckpointAltered as altered:
        unknown = isinstance(altered, CheckpointKeyUnknown)
        found = "unknown key" if unknown else "checkpoint altered"
        return Verification(False, 0, None, found, full=full, last_full=last_full)
    start = None if full or not points else points[-1]
    walk = _Walk(0, GENESIS_HASH, None, hasher.unkeyed_rank, _unkeyed(points))
    problem: _Broken | None = None
    async with db.snapshot():
        try:
            head = await db.fetch("SELECT seq, hash FROM audit_head WHERE id = 1")
            if start is not None:
                await _go_to(walk, start, hasher)
            await _walk(walk, hasher)
            await _check_points(walk, points)
            _check_head(walk, head)
        except _Broken as broken:
            problem = broken
    if problem is None:
        result = Verification(True, walk.seq, None, "", walk.checked, full, walk.since)
        if walk.seq > 0 and walk.seq != walk.since:  # a new tip: nothing to write otherwise
            point = Checkpoint(walk.seq, walk.hash, walk.key_id, walk.unkeyed, checkpoints.now())
            checkpoints.save(point)
    else:
        good = max(0, (problem.seq or 1) - 1)
        result = Verification(False, good, problem.seq, problem.problem, walk.checked, full,
                              walk.since)  # fmt: skip
    if full:
        last_full = FullRun(checkpoints.now(), result.ok, result.entries, result.first_bad,
                            result.problem)  # fmt: skip
        checkpoints.save_full_run(last_full)
    elif result.ok and last_full is not None and not last_full.ok:
        # A break found by the last full re-hash stands until a full re-hash says otherwise.
        result = replace(result, ok=False, entries=last_full.entries,
                         first_bad=last_full.first_bad, problem=last_full.problem)  # fmt: skip
    return replace(result, last_full=last_full)


def _unkeyed(points: list[Checkpoint]) -> int:
    # Unkeyed entries may only start the chain, and no more of them than the checkpoints
    # saw: an intruder cannot rewrite the chain as plain SHA-256. -1: nothing says yet.
    return min((point.unkeyed for point in points), default=-1)


async def _go_to(walk: _Walk, start: Checkpoint, hasher: Hasher) -> None:
    """Start the walk at a checkpoint, which must still be the stored entry."""
    rank = hasher.rank(start.key_id)
    if rank is None:
        raise _Broken(start.seq, "unknown key")
    rows = await db.fetch("SELECT hash FROM audit_entry WHERE seq = {}", start.seq)
    if not rows:
        (last,) = await db.fetch("SELECT coalesce(max(seq), 0) AS seq FROM audit_entry")
        raise _Broken(int(last["seq"]) + 1, "entries removed from the end")
    if not hmac.compare_digest(str(rows[0]["hash"]), start.hash):
        raise _Broken(start.seq, "entry altered")
    walk.seq, walk.hash, walk.key_id, walk.rank, walk.since = (
        start.seq,
        start.hash,
        start.key_id,
        rank,
        start.seq,
    )


async def _walk(walk: _Walk, hasher: Hasher) -> None:
    """Re-hash every entry after walk.seq, in order."""
    limit = walk.unkeyed  # -1: no checkpoint says how many unkeyed entries there were
    while True:
        rows = await db.fetch(
            f"SELECT {_COLUMNS} FROM audit_entry WHERE seq > {{}} ORDER BY seq LIMIT {PAGE}",
            walk.seq,
        )
        for row in rows:
            seq, key_id = int(row["seq"]), row["key_id"]
            if seq != walk.seq + 1:
                raise _Broken(walk.seq + 1, "entry missing")
            if row["prev_hash"] != walk.hash:
                raise _Broken(seq, "chain broken")
            rank = hasher.rank(key_id)
            if rank is None:
                raise _Broken(seq, "unknown key")
            if rank > walk.rank or (key_id is None and limit >= 0 and seq > limit):
                raise _Broken(seq, "older key")
            digest = hasher.hash(key_id, seq, row_material(row), walk.hash)
            if not hmac.compare_digest(digest, str(row["hash"])):
                raise _Broken(seq, "entry altered")
            walk.seq, walk.hash, walk.key_id, walk.rank = seq, digest, key_id, rank
            walk.checked += 1
            if key_id is None and limit < 0:
                walk.unkeyed = seq
        if len(rows) < PAGE:
            return


async def _check_points(walk: _Walk, points: list[Checkpoint]) -> None:
    """Every checkpoint lies on the chain: a cut tail or a rewritten entry shows here."""
    if points and points[-1].seq > walk.seq:
        raise _Broken(walk.seq + 1, "entries removed from the end")
    if walk.unkeyed < 0:
        walk.unkeyed = 0
    seqs = [point.seq for point in points]
    if not seqs:
        return
    stored = {
        int(row["seq"]): str(row["hash"])
        for row in await db.fetch_in("SELECT seq, hash FROM audit_entry WHERE seq IN (*)", seqs)
    }
    for point in points:
        if not hmac.compare_digest(stored.get(point.seq, ""), point.hash):
            raise _Broken(point.seq, "entry altered")


def _check_head(walk: _Walk, head: list[Mapping[str, Any]]) -> None:
    if not head:
        if walk.seq:
            raise _Broken(1, "head moved")
        return
    seq, digest = int(head[0]["seq"]), str(head[0]["hash"])
    if seq > walk.seq:
        raise _Broken(walk.seq + 1, "entries removed from the end")
    if seq < walk.seq or digest != walk.hash:
        raise _Broken(seq + 1, "head moved")

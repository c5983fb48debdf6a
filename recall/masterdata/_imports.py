"""Shipment files imported in the background, with their progress kept in the database.

An upload is stored first (`start_shipment_import`, with an outbox row for a worker), then
imported by `run_shipment_import` in any process (a worker's `run_uploaded_import`, or the
web process when no worker runs); every process can show how far it got
(`get_shipment_import`). The import
itself is `import_shipments`, the same as the API's: all lines or none, the first MAX_ERRORS
bad lines kept and all of them counted.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from recall import clock, db, outbox
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput, NotFound
from recall.masterdata._distribution import import_shipments
from recall.masterdata._shipment_lines import LineError, line_count
from recall.rules import is_valid_id
from recall.settings import get_settings

log = logging.getLogger(__name__)

# A running import not heard from for this long died with its process (nothing was stored:
# the shipments and the "done" mark commit together).
SILENT_FOR = timedelta(minutes=5)
IMPORT_JOB = "import_shipment_file"
FILE_NAME_MAX = 255


class ImportStatus(StrEnum):
    QUEUED = "queued"
    CHECKING = "checking"
    WRITING = "writing"
    DONE = "done"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # never stored: a running import whose process is gone

    @property
    def running(self) -> bool:
        return self in RUNNING


RUNNING = {ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.WRITING}


@dataclass(frozen=True)
class ShipmentImport:
    """One uploaded shipments file and how its import went."""

    id: int
    file_name: str
    sha256: str
    size_bytes: int
    uploaded_by: str
    uploaded_by_name: str
    uploaded_at: datetime
    status: ImportStatus
    lines_total: int
    lines_checked: int
    imported: int
    error_count: int
    finished_at: datetime | None

    @property
    def running(self) -> bool:
        return self.status.running


# Every column but the file and its errors.
_COLUMNS = (
    "id, file_name, sha256, size_bytes, uploaded_by_id, uploaded_by, uploaded_by_name, "
    "uploaded_at, status, lines_total, lines_checked, imported, error_count, updated_at, "
    "finished_at"
)


def _import(row: Mapping[str, Any]) -> ShipmentImport:
    status = ImportStatus(row["status"])
    if status.running and db.as_utc(row["updated_at"]) < clock.now() - SILENT_FOR:
        status = ImportStatus.INTERRUPTED
    return ShipmentImport(
        id=row["id"],
        file_name=row["file_name"],
        sha256=row["sha256"],
        size_bytes=row["size_bytes"],
        uploaded_by=row["uploaded_by"],
        uploaded_by_name=row["uploaded_by_name"],
        uploaded_at=db.as_utc(row["uploaded_at"]),
        status=status,
        lines_total=row["lines_total"],
        lines_checked=row["lines_checked"],
        imported=row["imported"],
        error_count=row["error_count"],
        finished_at=db.as_utc(row["finished_at"]) if row["finished_at"] else None,
    )


def _file_name(name: str) -> str:
    # Browsers may send a path ("C:\\fakepath\\x.csv"); keep the name, on one line.
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return " ".join(base.split())[:FILE_NAME_MAX] or "shipments.csv"


def _decoded(content: bytes) -> tuple[str, str, int]:
    text = content.decode("utf-8")
    return text, hashlib.sha256(content).hexdigest(), line_count(text)


async def start_shipment_import(
    actor: Actor, file_name: str, content: bytes, *, again: bool = False
) -> ShipmentImport:
    """Store an uploaded shipments file, queued for `run_shipment_import`.

    A file already imported (same SHA-256) would record its shipments twice: it is refused
    (Conflict) unless `again` says the person means it.
    """
    if not content.strip():
        raise InvalidInput("file", "the file is empty")
    limit = get_settings().max_import_bytes
    if len(content) > limit:
        raise InvalidInput("file", f"the file is larger than {limit // (1024 * 1024)} MiB")
    try:
        # Decoding, hashing and counting tens of MiB: in a thread, off the event loop.
        text, sha256, lines = await asyncio.to_thread(_decoded, content)
    except UnicodeDecodeError as exc:
        raise InvalidInput("file", f"the file is not UTF-8 text (byte {exc.start})") from None
    if not again and await earlier_imports(sha256):
        raise Conflict("this file was already imported; confirm to import it again")
    now = clock.now()
    row = {
        "file_name": _file_name(file_name),
        "sha256": sha256,
        "size_bytes": len(content),
        "content": text,
        "uploaded_by_id": actor.id,
        "uploaded_by": actor.username,
        "uploaded_by_name": actor.full_name or actor.username,
        "uploaded_at": now,
        "status": ImportStatus.QUEUED.value,
        "lines_total": lines,
        "lines_checked": 0,
        "imported": 0,
        "error_count": 0,
        "errors": "[]",
        "updated_at": now,
        "finished_at": None,
    }
    async with db.transaction():
        import_id = await db.insert("shipment_import", row)
        await outbox.add(IMPORT_JOB, {"import_id": import_id})
    return await get_shipment_import(import_id)


async def get_shipment_import(import_id: int) -> ShipmentImport:
    rows = []
    if is_valid_id(import_id):
        rows = await db.fetch(f"SELECT {_COLUMNS} FROM shipment_import WHERE id = {{}}", import_id)
    if not rows:
        raise NotFound(f"shipment import {import_id} not found")
    return _import(rows[0])


async def list_shipment_imports(
    limit: int = 20, offset: int = 0
) -> tuple[list[ShipmentImport], int]:
    """Uploaded files, newest first."""
    rows, total = await db.fetch_page(_COLUMNS, "shipment_import", "id DESC", [], limit, offset)
    return [_import(row) for row in rows], total


async def earlier_imports(sha256: str, *, before: int | None = None) -> list[ShipmentImport]:
    """Imports of the same file (same SHA-256) that stored shipments, oldest first."""
    where, values = db.where(
        ("sha256 = {} AND status = {} AND imported > 0", [sha256, ImportStatus.DONE.value]),
        ("id < {}", [before]) if before is not None else ("", []),
    )
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM shipment_import{where} ORDER BY id", *values)
    return [_import(row) for row in rows]


async def import_errors(
    import_id: int, limit: int = 500, offset: int = 0
) -> tuple[list[LineError], int]:
    """The bad lines an import kept (the first MAX_ERRORS, by line number; `limit` 0: all of
    them), and how many it kept; the import's `error_count` says how many it found."""
    rows = await db.fetch("SELECT errors FROM shipment_import WHERE id = {}", import_id)
    if not rows:
        raise NotFound(f"shipment import {import_id} not found")
    errors = json.loads(rows[0]["errors"] or "[]")
    page = errors[offset : offset + limit] if limit else errors[offset:]
    return [LineError(line, f"{column}: {problem}", column) for line, column, problem in page], len(
        errors
    )


class _Watched:
    """Writes an import's progress to its row, for the page that watches it."""

    def __init__(self, import_id: int) -> None:
        self.import_id = import_id

    async def _set(self, sql: str, *values: Any) -> None:
        await db.fetch(
            f"UPDATE shipment_import SET {sql}, updated_at = {{}} WHERE id = {{}}",
            *values,
            clock.now(),
            self.import_id,
        )

    async def checked(self, lines: int, total: int) -> None:
        await self._set("status = {}, lines_checked = {}", ImportStatus.CHECKING.value, lines)

    async def writing(self) -> None:
        await self._set("status = {}", ImportStatus.WRITING.value)

    async def written(self, imported: int) -> None:
        # Inside the import's transaction: "done" commits with the shipments, or neither does.
        await self._set(
            "status = {}, imported = {}, finished_at = {}",
            ImportStatus.DONE.value,
            imported,
            clock.now(),
        )

    async def failed(self, errors: list[LineError], count: int) -> None:
        """`errors` are the first bad lines (at most MAX_ERRORS), `count` all of them."""
        listed = json.dumps([[e.line, e.column, e.problem] for e in errors], ensure_ascii=False)
        await self._set(
            "status = {}, error_count = {}, errors = {}, finished_at = {}",
            ImportStatus.FAILED.value,
            count,
            listed,
            clock.now(),
        )


async def run_shipment_import(actor: Actor, import_id: int) -> ShipmentImport:
    """Import a stored file, writing progress as it goes. Safe to call twice: only the call
    that takes the queued import runs it; a later one finds it taken or finished."""
    await get_shipment_import(import_id)  # NotFound for an unknown id
    taken = await db.fetch(
        "UPDATE shipment_import SET status = {}, updated_at = {} "
        "WHERE id = {} AND status = {} RETURNING content",
        ImportStatus.CHECKING.value,
        clock.now(),
        import_id,
        ImportStatus.QUEUED.value,
    )
    if not taken:
        return await get_shipment_import(import_id)
    watched = _Watched(import_id)
    try:
        result = await import_shipments(actor, taken[0]["content"], watched)
    except Exception as exc:
        log.exception("shipment import %s stopped", import_id)
        problem = f"the import stopped unexpectedly ({type(exc).__name__}); nothing was stored"
        await watched.failed([LineError(0, f"file: {problem}", "file")], 1)
    else:
        if result.errors:
            await watched.failed(result.errors, result.error_count)
        elif result.imported == 0:
            await watched.written(0)  # a header and no lines: done, nothing to store
    return await get_shipment_import(import_id)


async def run_uploaded_import(import_id: int) -> ShipmentImport | None:
    """Import a stored file as the person who uploaded it (a worker's side); None for an
    unknown id. Safe to call twice, like `run_shipment_import`."""
    rows = await db.fetch(
        "SELECT uploaded_by_id, uploaded_by, uploaded_by_name FROM shipment_import WHERE id = {}",
        import_id,
    )
    if not rows:
        return None
    row = rows[0]
    # The import checks no role (the upload did); the audit names the uploader.
    uploader = Actor(
        row["uploaded_by_id"], row["uploaded_by"], row["uploaded_by_name"], frozenset()
    )
    return await run_shipment_import(uploader, import_id)

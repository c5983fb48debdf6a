"""Exports asked for, made by whichever process takes them first, and kept for a day.

`request_export` writes the export and its outbox row in one transaction (a worker makes
it); `make_export` makes it in the process that takes it, writing its progress to the row;
`get_export` shows it only to who asked. Files live under `<data dir>/exports`, one per
export, named by its id.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from recall import clock, db, errors, outbox, recalls
from recall.actors import Actor
from recall.errors import NotFound, RecallError
from recall.exports._documents import Document, Made, make_document, reader_parameters
from recall.rules import is_valid_id
from recall.settings import get_settings

log = logging.getLogger(__name__)

EXPORT_JOB = "make_export"
# A file is kept this long after it was asked for, then removed with its export.
RETENTION = timedelta(days=1)
# A running export not heard from for this long died with its process; another may take it.
SILENT_FOR = timedelta(minutes=10)


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class Export:
    """One document asked for, and how far its making got."""

    id: int
    document: Document
    recall_id: int
    format: str
    status: ExportStatus
    rows_total: int | None
    rows_done: int
    reason: str | None
    error_kind: str | None
    error_field: str | None
    file_name: str | None
    content_type: str | None
    size_bytes: int | None
    requested_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in (ExportStatus.READY, ExportStatus.FAILED)

    def error(self) -> RecallError | None:
        """The domain's refusal that failed it, as the request would have raised it."""
        kind = getattr(errors, self.error_kind or "", None)
        if not (isinstance(kind, type) and issubclass(kind, RecallError)):
            return None
        failure = RecallError.__new__(kind)
        RecallError.__init__(failure, self.reason or "", field=self.error_field)
        return failure


_COLUMNS = (
    "id, document, recall_id, format, status, rows_total, rows_done, reason, error_kind, "
    "error_field, file_name, content_type, size_bytes, requested_at, updated_at, finished_at"
)


def _export(row: Mapping[str, Any]) -> Export:
    status = ExportStatus(row["status"])
    reason, kind = row["reason"], row["error_kind"]
    if status is ExportStatus.RUNNING and db.as_utc(row["updated_at"]) < clock.now() - SILENT_FOR:
        status, kind = ExportStatus.FAILED, None
        reason = "the process making it stopped before it finished"
    return Export(
        id=row["id"],
        document=Document(row["document"]),
        recall_id=row["recall_id"],
        format=row["format"],
        status=status,
        rows_total=row["rows_total"],
        rows_done=row["rows_done"],
        reason=reason,
        error_kind=kind,
        error_field=row["error_field"],
        file_name=row["file_name"],
        content_type=row["content_type"],
        size_bytes=row["size_bytes"],
        requested_at=db.as_utc(row["requested_at"]),
        finished_at=db.as_utc(row["finished_at"]) if row["finished_at"] else None,
    )


def owner_of(actor: Actor) -> str:
    """Whose exports these are: a person, or an API key acting for one."""
    if actor.id is None and actor.api_key_id is not None:
        return f"key:{actor.api_key_id}"
    return f"user:{actor.id}"


def _path(export_id: int, format: str) -> Path:
    return get_settings().data_dir / "exports" / f"{export_id}.{format}"


def file_of(export: Export) -> Path:
    """Where a ready export's file is."""
    return _path(export.id, export.format)


async def request_export(
    actor: Actor, document: Document, recall_id: int, format: str, parameters: dict[str, Any]
) -> Export:
    """Ask for `document` of the recall as `format`, for `actor` alone; a worker makes it.

    The same reader asking for the same document while it is being made gets that export.
    `parameters` are what the reader chose and the words in the reader's language.
    """
    await recalls.get_recall(recall_id)  # NotFound, as the download answered
    owner = owner_of(actor)
    stored = json.dumps(
        {**parameters, "reader": reader_parameters(actor)}, sort_keys=True, ensure_ascii=False
    )
    fingerprint = hashlib.sha256(f"{document}|{recall_id}|{format}|{stored}".encode()).hexdigest()
    now = clock.now()
    async with db.transaction():
        running = await db.fetch(
            "SELECT id FROM export_job WHERE requested_by = {} AND fingerprint = {} "
            "AND status IN ({}, {}) AND updated_at > {} ORDER BY id DESC LIMIT 1",
            owner,
            fingerprint,
            ExportStatus.QUEUED.value,
            ExportStatus.RUNNING.value,
            now - SILENT_FOR,
        )
        if running:
            return await get_export(actor, int(running[0]["id"]))
        export_id = await db.insert(
            "export_job",
            {
                "document": document.value,
                "recall_id": recall_id,
                "format": format,
                "parameters": stored,
                "fingerprint": fingerprint,
                "requested_by": owner,
                "requested_by_name": actor.display_name,
                "requested_at": now,
                "status": ExportStatus.QUEUED.value,
                "rows_done": 0,
                "updated_at": now,
            },
        )
        outbox_id = await outbox.add(EXPORT_JOB, {"export_id": export_id})
        await db.fetch("UPDATE export_job SET outbox_id = {} WHERE id = {}", outbox_id, export_id)
    return await get_export(actor, export_id)


async def get_export(actor: Actor, export_id: int) -> Export:
    """An export as its reader sees it; NotFound for anyone else's."""
    rows = []
    if is_valid_id(export_id):
        rows = await db.fetch(
            f"SELECT {_COLUMNS} FROM export_job WHERE id = {{}} AND requested_by = {{}}",
            export_id,
            owner_of(actor),
        )
    if not rows:
        raise NotFound(f"export {export_id} not found")
    return _export(rows[0])


async def _set(export_id: int, sql: str, *values: Any) -> None:
    await db.fetch(
        f"UPDATE export_job SET {sql}, updated_at = {{}} WHERE id = {{}}",
        *values,
        clock.now(),
        export_id,
    )


async def _told(export_id: int, done: int, total: int) -> None:
    await _set(export_id, "rows_done = {}, rows_total = {}", done, total)


async def make_export(export_id: int) -> bool:
    """Make a queued export (or one whose maker died) into its file; False when another
    process has it or it is finished. Safe to call twice."""
    now = clock.now()
    taken = await db.fetch(
        "UPDATE export_job SET status = {}, updated_at = {} WHERE id = {} "
        "AND (status = {} OR (status = {} AND updated_at < {})) "
        "RETURNING document, recall_id, format, parameters, outbox_id",
        ExportStatus.RUNNING.value,
        now,
        export_id,
        ExportStatus.QUEUED.value,
        ExportStatus.RUNNING.value,
        now - SILENT_FOR,
    )
    if not taken:
        return False
    await remove_expired()
    job = taken[0]
    target = _path(export_id, job["format"])
    part = target.with_name(target.name + ".part")
    try:
        part.parent.mkdir(parents=True, exist_ok=True)
        made = await make_document(
            Document(job["document"]),
            job["recall_id"],
            job["format"],
            json.loads(job["parameters"]),
            part,
            lambda done, total: _told(export_id, done, total),
        )
        part.replace(target)
    except RecallError as refused:
        part.unlink(missing_ok=True)
        await _failed(export_id, refused.detail, type(refused).__name__, refused.field)
    except Exception as exc:
        part.unlink(missing_ok=True)
        log.exception("export %s failed", export_id)
        await _failed(export_id, f"the document could not be made ({type(exc).__name__})")
    else:
        await _ready(export_id, made, target.stat().st_size)
    if job["outbox_id"] is not None:
        await outbox.mark_done(job["outbox_id"])  # made here or by a worker: nothing left to do
    return True


async def _ready(export_id: int, made: Made, size: int) -> None:
    await _set(
        export_id,
        "status = {}, file_name = {}, content_type = {}, size_bytes = {}, finished_at = {}",
        ExportStatus.READY.value,
        made.file_name,
        made.content_type,
        size,
        clock.now(),
    )


async def _failed(
    export_id: int, reason: str, kind: str | None = None, field: str | None = None
) -> None:
    await _set(
        export_id,
        "status = {}, reason = {}, error_kind = {}, error_field = {}, finished_at = {}",
        ExportStatus.FAILED.value,
        reason,
        kind,
        field,
        clock.now(),
    )


async def remove_expired() -> int:
    """Remove exports asked for longer ago than RETENTION, with their files; how many."""
    cutoff = clock.now() - RETENTION
    rows = await db.fetch(
        "DELETE FROM export_job WHERE requested_at < {} RETURNING id, format", cutoff
    )
    for row in rows:
        _path(row["id"], row["format"]).unlink(missing_ok=True)
    return len(rows)

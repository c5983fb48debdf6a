"""Attaching evidence files to a record, listing them and reading them back.

The bytes are stored (by content hash, never overwritten) before the attachment row and its
audit entry commit, so a row always points at stored bytes; a failed commit leaves at most
bytes no row names, which a later upload of the same file reuses.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recall import audit, auth, clock, complaints, db, investigations, recalls
from recall.actors import Actor, Role
from recall.errors import Forbidden, InvalidInput, NotFound, TooLarge
from recall.evidence._content import detect, safe_filename
from recall.evidence._store import evidence_store
from recall.rules import is_valid_id
from recall.settings import get_settings

ENTITIES = ("complaint", "investigation", "recall", "destruction")
_QUALITY_STAFF = frozenset({Role.QA, Role.QA_MANAGER})
# Who attaches files to each kind of record: the staff working it.
UPLOADERS: dict[str, frozenset[Role]] = {
    "complaint": frozenset({Role.CS, Role.QA}),
    "investigation": _QUALITY_STAFF,
    "recall": _QUALITY_STAFF,
    "destruction": _QUALITY_STAFF,
}
# Who sees them: whoever reads the record, inspectors included.
_QUALITY_READERS = frozenset({Role.QA, Role.QA_MANAGER, Role.INSPECTOR, Role.ADMIN})
READERS: dict[str, frozenset[Role]] = {
    "complaint": _QUALITY_READERS | {Role.CS},
    "investigation": _QUALITY_READERS,
    "recall": _QUALITY_READERS,
    "destruction": _QUALITY_READERS,
}
_GETTERS: dict[str, Callable[[int], Awaitable[object]]] = {
    "complaint": complaints.get_complaint,
    "investigation": investigations.get_investigation,
    "recall": recalls.get_recall,
    "destruction": recalls.get_destruction,
}


@dataclass(frozen=True)
class Attachment:
    """An evidence file attached to one record; its bytes are immutable."""

    id: int
    entity: str
    entity_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: int | None
    uploaded_by_name: str


def _entity(entity: str) -> str:
    if entity not in ENTITIES:
        raise InvalidInput("entity", f"must be one of {', '.join(ENTITIES)}")
    return entity


async def _existing(entity: str, entity_id: int) -> None:
    """InvalidInput naming `entity_id` when the record does not exist."""
    try:
        if not is_valid_id(entity_id):
            raise NotFound(entity)
        await _GETTERS[entity](entity_id)
    except NotFound:
        raise InvalidInput("entity_id", f"there is no {entity} {entity_id}") from None


def may_attach(actor: Actor, entity: str) -> bool:
    """Whether `actor` attaches files to records of `entity`."""
    return actor.has(*UPLOADERS.get(entity, ()))


def may_read(actor: Actor, entity: str) -> bool:
    """Whether `actor` sees the files of records of `entity`."""
    return actor.has(*READERS.get(entity, ()))


def _hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def attach(
    actor: Actor, entity: str, entity_id: int, filename: str, content: bytes
) -> Attachment:
    """Attach `content` to the record, audited with its SHA-256.

    InvalidInput names `entity`, `entity_id` or `file` (empty, or of a kind not kept as
    evidence); TooLarge over RECALL_ATTACHMENT_MAX_MB; Forbidden for a role not working
    that kind of record.
    """
    _entity(entity)
    if not may_attach(actor, entity):
        raise Forbidden(f"your roles do not attach files to a {entity}")
    limit = get_settings().attachment_max_bytes
    if len(content) > limit:
        raise TooLarge(f"file: larger than {limit // (1024 * 1024)} MiB", field="file")
    if not content:
        raise InvalidInput("file", "the file is empty")
    await _existing(entity, entity_id)
    name = safe_filename(filename)
    # Hashing and sniffing 25 MiB takes tens of milliseconds: off the event loop.
    content_type = await asyncio.to_thread(detect, content)
    sha256 = await asyncio.to_thread(_hash, content)
    await evidence_store().put(sha256, content)
    now = clock.now()
    row = {
        "entity": entity,
        "entity_id": entity_id,
        "filename": name,
        "content_type": content_type,
        "size": len(content),
        "sha256": sha256,
    }
    async with db.transaction():
        attachment_id = await db.insert(
            "attachment", {**row, "uploaded_at": now, "uploaded_by": actor.id}
        )
        await audit.record(actor, audit.Change("attachment", attachment_id, "created", new=row))
    return await _get(attachment_id)


_SELECT = (
    "SELECT id, entity, entity_id, filename, content_type, size, sha256, uploaded_at, "
    "uploaded_by FROM attachment "
)


async def _attachments(rows: list[Mapping[str, Any]]) -> list[Attachment]:
    names: dict[int, str] = {}
    for user_id in {row["uploaded_by"] for row in rows if row["uploaded_by"] is not None}:
        try:
            names[user_id] = (await auth.get_user(user_id)).full_name
        except NotFound:
            continue
    return [
        Attachment(
            id=int(row["id"]),
            entity=row["entity"],
            entity_id=int(row["entity_id"]),
            filename=row["filename"],
            content_type=row["content_type"],
            size=int(row["size"]),
            sha256=row["sha256"],
            uploaded_at=db.as_utc(row["uploaded_at"]),
            uploaded_by=row["uploaded_by"],
            uploaded_by_name=names.get(row["uploaded_by"], ""),
        )
        for row in rows
    ]


async def _get(attachment_id: int) -> Attachment:
    rows = await db.fetch(_SELECT + "WHERE id = {}", attachment_id)
    if not rows:
        raise NotFound(f"attachment {attachment_id} not found")
    return (await _attachments(rows))[0]


def _readable(actor: Actor, entity: str) -> None:
    _entity(entity)
    if not may_read(actor, entity):
        raise Forbidden(f"your roles do not see the files of a {entity}")


async def list_attachments(actor: Actor, entity: str, entity_id: int) -> list[Attachment]:
    """The files attached to one record, oldest first (InvalidInput naming `entity_id` when
    the record does not exist)."""
    _readable(actor, entity)
    await _existing(entity, entity_id)
    return (await attachments_of(actor, entity, [entity_id]))[entity_id]


async def attachments_of(
    actor: Actor, entity: str, entity_ids: list[int]
) -> dict[int, list[Attachment]]:
    """The files of records a page has just read, by record id, oldest first; in one query."""
    _readable(actor, entity)
    found: dict[int, list[Attachment]] = {entity_id: [] for entity_id in entity_ids}
    if not found:
        return found
    rows = await db.fetch_in(
        _SELECT + "WHERE entity = {} AND entity_id IN (*) ORDER BY uploaded_at, id",
        list(found),
        entity,
    )
    for attachment in await _attachments(list(rows)):
        found[attachment.entity_id].append(attachment)
    return found


async def get_attachment(actor: Actor, attachment_id: int) -> Attachment:
    """One attachment; NotFound also when `actor` may not see its record's files, so ids
    cannot be tried one by one to learn what exists."""
    attachment = await _get(attachment_id) if is_valid_id(attachment_id) else None
    if attachment is None or not may_read(actor, attachment.entity):
        raise NotFound(f"attachment {attachment_id} not found")
    return attachment


async def attachment_content(actor: Actor, attachment_id: int) -> tuple[Attachment, bytes]:
    """An attachment and its bytes, exactly as uploaded."""
    attachment = await get_attachment(actor, attachment_id)
    return attachment, await evidence_store().get(attachment.sha256)

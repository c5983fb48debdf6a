"""Writing and checking the hash-chained audit trail."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from recall import clock, db, keys
from recall.audit._chain import GENESIS_HASH, entry_material, hmac_pads, keyed_hash
from recall.audit._tally import entries_counted

if TYPE_CHECKING:
    from recall.actors import Actor


@dataclass(frozen=True)
class Change:
    """One audited change: `old`/`new` hold only the fields that matter."""

    entity: str
    entity_id: str | int
    action: str
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    reason: str = ""


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    actor_id: int | None
    actor_name: str
    entity: str
    entity_id: str
    action: str
    old_values: dict[str, Any]
    new_values: dict[str, Any]
    reason: str
    hash: str


def canonical(values: dict[str, Any] | None) -> str:
    """Stable JSON text of a value dict (sorted keys, dates as ISO strings)."""
    return json.dumps(values or {}, sort_keys=True, ensure_ascii=False, default=str)


async def record(actor: Actor, *changes: Change) -> None:
    """Append entries for `changes`; must run inside the transaction that made them."""
    if not changes:
        return
    if not db.in_transaction():
        raise RuntimeError("audit.record must run inside the transaction it audits")
    at = clock.now()
    key = keys.current(keys.AUDIT)
    entries = [_NewEntry.of(at, actor, change) for change in changes]
    if db.has_stored_functions():
        # One statement: the chain's tip is locked for the rest of the transaction only.
        # The function computes HMAC from the key's pads, passed as parameters, never stored.
        columns = [list(column) for column in zip(*entries, strict=True)]
        inner, outer = hmac_pads(key)
        await db.fetch(_APPEND, at, actor.id, actor.display_name, key.id, inner, outer, *columns)
        return
    # The upsert takes the head row's lock, so concurrent writers queue here.
    head = await db.fetch(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, {}) "
        "ON CONFLICT (id) DO UPDATE SET seq = audit_head.seq RETURNING seq, hash",
        GENESIS_HASH,
    )
    seq, prev_hash = int(head[0]["seq"]), str(head[0]["hash"])
    rows = []
    for entry in entries:
        seq += 1
        digest = keyed_hash(key, seq, entry.material, prev_hash)
        rows.append((
            seq, at, actor.id, actor.display_name, entry.entity, entry.entity_id, entry.action,
            entry.old_values, entry.new_values, entry.reason, prev_hash, digest, key.id,
        ))  # fmt: skip
        prev_hash = digest
    await db.insert_many("audit_entry", _ENTRY_INSERT, rows)
    await db.fetch("UPDATE audit_head SET seq = {}, hash = {} WHERE id = 1", seq, prev_hash)


# The columns of an entry, with their PostgreSQL types (see db.insert_many).
_ENTRY_INSERT = (
    ("seq", "bigint"), ("at", "timestamptz"), ("actor_id", "int"), ("actor_name", "text"),
    ("entity", "text"), ("entity_id", "text"), ("action", "text"), ("old_values", "text"),
    ("new_values", "text"), ("reason", "text"), ("prev_hash", "text"), ("hash", "text"),
    ("key_id", "text"),
)  # fmt: skip
_ENTRY_COLUMNS = (
    "seq, at, actor_id, actor_name, entity, entity_id, action, old_values, new_values, reason, hash"
)

_APPEND = (
    "SELECT audit_append({}, {}, {}, {}, {}::bytea, {}::bytea, "
    + ", ".join(["{}::text[]"] * 7)
    + ") AS seq"
)


class _NewEntry(NamedTuple):
    """An entry as it will be stored, before its place in the chain is known."""

    entity: str
    entity_id: str
    action: str
    old_values: str
    new_values: str
    reason: str
    material: str

    @classmethod
    def of(cls, at: datetime, actor: Actor, change: Change) -> _NewEntry:
        old, new = canonical(change.old), canonical(change.new)
        entity_id = str(change.entity_id)
        material = entry_material(
            at, actor.id, actor.display_name, change.entity, entity_id,
            change.action, old, new, change.reason,
        )  # fmt: skip
        return cls(change.entity, entity_id, change.action, old, new, change.reason, material)


def _entry(row: Mapping[str, Any]) -> Entry:
    return Entry(
        seq=row["seq"],
        at=db.as_utc(row["at"]),
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        entity=row["entity"],
        entity_id=row["entity_id"],
        action=row["action"],
        old_values=json.loads(row["old_values"] or "{}"),
        new_values=json.loads(row["new_values"] or "{}"),
        reason=row["reason"],
        hash=row["hash"],
    )


async def list_entries(
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Entry], int]:
    """Entries, newest first, optionally for one entity or one record."""
    return await find_entries(EntryFilter(entity=entity, entity_id=entity_id), limit, offset)


async def history(entity: str, entity_id: str | int) -> list[Entry]:
    """Every entry of one record, oldest first."""
    rows = await db.fetch(
        f"SELECT {_ENTRY_COLUMNS} FROM audit_entry WHERE entity = {{}} AND entity_id = {{}} "
        "ORDER BY seq",
        entity,
        str(entity_id),
    )
    return [_entry(row) for row in rows]


@dataclass(frozen=True)
class EntryFilter:
    """Which entries to show: every given condition must hold."""

    entity: str | None = None
    entity_id: str | None = None
    # Part of the actor's printed name or username, any case.
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None  # from this moment on
    until: datetime | None = None  # before this moment


def _conditions(selection: EntryFilter) -> tuple[str, list[Any]]:
    """` WHERE …` of the selection's conditions (empty for none), with their values."""
    where: list[str] = []
    values: list[Any] = []
    if selection.entity:
        where.append("entity = {}")
        values.append(selection.entity)
    if selection.entity_id:
        where.append("entity_id = {}")
        values.append(str(selection.entity_id))
    if selection.actor:
        pattern = selection.actor.replace("\\", "").replace("%", "").replace("_", "")
        where.append(f"actor_name {db.caseless_like()} {{}}")
        values.append(f"%{pattern}%")
    if selection.action:
        where.append("action = {}")
        values.append(selection.action)
    if selection.since:
        where.append("at >= {}")
        values.append(selection.since.astimezone(UTC))
    if selection.until:
        where.append("at < {}")
        values.append(selection.until.astimezone(UTC))
    return (" WHERE " + " AND ".join(where) if where else ""), values


async def find_entries(
    selection: EntryFilter, limit: int = 50, offset: int = 0, *, oldest_first: bool = False
) -> tuple[list[Entry], int]:
    """Entries matching `selection`, newest first (or oldest first), and how many match."""
    where, values = _conditions(selection)
    order = "seq" if oldest_first else "seq DESC"
    if not _counted_by_kind(selection):
        rows, total = await db.fetch_page(
            _ENTRY_COLUMNS, "audit_entry" + where, order, values, limit, offset
        )
        return [_entry(row) for row in rows], total
    rows = await db.fetch(
        f"SELECT {_ENTRY_COLUMNS} FROM audit_entry{where} ORDER BY {order} LIMIT {{}} OFFSET {{}}",
        *values,
        limit,
        offset,
    )
    total = await entries_counted(selection.entity, selection.action)
    return [_entry(row) for row in rows], total


def _counted_by_kind(selection: EntryFilter) -> bool:
    # The whole trail, by record type or by action: from the counts kept (recall.audit._tally).
    # A record's own entries are few; an actor's or a period's (the page's rarer filters)
    # are counted as asked.
    return not (selection.entity_id or selection.actor or selection.since or selection.until)

"""How many entries a listing matches, without counting a million rows per page.

Entries never change once written (the database refuses UPDATE and DELETE) and a sequence
number is taken under the chain's head lock, so when entry N is visible every entry before
it is too: counts of the entries up to N are facts that stay true. Each process keeps them
per (entity, action), anchored on entry N's hash, and counts only the entries after N on
each read. A chain whose entry N is gone or differs (a new database, a cleared one) is
counted again from the start; a removal made by going around the database's refusal is
what `verify` reports, not what the counts show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recall import db


@dataclass(frozen=True)
class _Counted:
    seq: int  # entries up to this one are counted
    hash: str  # entry `seq`'s hash: the counts hold while it is still the stored one
    entries: dict[tuple[str, str], int] = field(default_factory=dict)  # (entity, action)


_NOTHING = _Counted(0, "")
_counted = _NOTHING


async def _anchored(counted: _Counted) -> bool:
    if not counted.seq:
        return True
    rows = await db.fetch("SELECT hash FROM audit_entry WHERE seq = {}", counted.seq)
    return bool(rows) and str(rows[0]["hash"]) == counted.hash


async def _brought_up_to_date() -> _Counted:
    global _counted
    counted = _counted
    if not await _anchored(counted):
        counted = _NOTHING
    rows = await db.fetch(
        "SELECT entity, action, COUNT(*) AS n, MAX(seq) AS tip FROM audit_entry "
        "WHERE seq > {} GROUP BY entity, action",
        counted.seq,
    )
    if not rows:
        return counted
    entries = dict(counted.entries)
    for row in rows:
        key = (str(row["entity"]), str(row["action"]))
        entries[key] = entries.get(key, 0) + int(row["n"])
    tip = max(int(row["tip"]) for row in rows)
    anchor = await db.fetch("SELECT hash FROM audit_entry WHERE seq = {}", tip)
    fresh = _Counted(tip, str(anchor[0]["hash"]), entries)
    # Reads running at once may finish out of order: keep the furthest count.
    if fresh.seq >= _counted.seq or not await _anchored(_counted):
        _counted = fresh
    return fresh


async def entries_counted(entity: str | None, action: str | None) -> int:
    """How many entries there are of `entity` with `action` (None: any), up to now."""
    counted = await _brought_up_to_date()
    return sum(
        number
        for (entry_entity, entry_action), number in counted.entries.items()
        if entity in (None, entry_entity) and action in (None, entry_action)
    )

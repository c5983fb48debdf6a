"""The audit trail's listings count what they match exactly, from kept counts or afresh."""

from __future__ import annotations

import itertools

import pytest

from recall import audit, db
from recall.actors import SYSTEM
from tests.tampering import tamper

KINDS = list(itertools.product(("complaint", "notice", "recall"), ("created", "sent")))


async def append(count: int, start: int = 0) -> None:
    async with db.transaction():
        changes = []
        for number in range(start, start + count):
            entity, action = KINDS[number % len(KINDS)]
            changes.append(audit.Change(entity, number, action))
        await audit.record(SYSTEM, *changes)


async def counted(where: str = "", *values: object) -> int:
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM audit_entry{where}", *values)
    return int(rows[0]["n"])


async def assert_totals_match_a_full_count() -> None:
    assert (await audit.list_entries(limit=1))[1] == await counted()
    for entity in ("complaint", "notice", "recall", "nothing"):
        total = (await audit.list_entries(entity=entity, limit=1))[1]
        assert total == await counted(" WHERE entity = {}", entity), entity
    for entity, action in [*KINDS, (None, "sent")]:
        selection = audit.EntryFilter(entity=entity, action=action)
        where = " WHERE action = {}" + (" AND entity = {}" if entity else "")
        expected = await counted(where, action, *([entity] if entity else []))
        assert (await audit.find_entries(selection, 1))[1] == expected, (entity, action)


async def test_totals_follow_every_append():
    await assert_totals_match_a_full_count()
    await append(7)
    await assert_totals_match_a_full_count()
    for round_ in range(3):
        await append(round_ + 1, start=100 * (round_ + 1))
        await assert_totals_match_a_full_count()


async def test_a_record_actor_or_period_is_counted_as_asked():
    await append(12)
    entries, total = await audit.list_entries(entity="notice", entity_id="1")
    assert total == len(entries) == await counted(" WHERE entity = 'notice' AND entity_id = '1'")
    selection = audit.EntryFilter(entity="complaint", actor="system")
    assert (await audit.find_entries(selection))[1] == await counted(" WHERE entity = 'complaint'")


async def test_pages_are_newest_first_with_the_same_total():
    await append(30)
    first, total = await audit.list_entries(entity="notice", limit=4)
    second, again = await audit.list_entries(entity="notice", limit=4, offset=4)
    assert total == again == await counted(" WHERE entity = 'notice'")
    seqs = [entry.seq for entry in first + second]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 8
    assert all(entry.entity == "notice" for entry in first + second)


async def test_a_cleared_and_rewritten_trail_is_counted_afresh():
    await append(10)
    await assert_totals_match_a_full_count()
    # Another chain in its place, as a restored or emptied database holds: counts kept for
    # the old one no longer apply.
    await tamper("DELETE FROM audit_entry")
    await tamper("DELETE FROM audit_head")
    await append(3, start=1)
    await assert_totals_match_a_full_count()
    await tamper("DELETE FROM audit_entry")
    await tamper("DELETE FROM audit_head")
    await assert_totals_match_a_full_count()
    await append(12, start=2)
    await assert_totals_match_a_full_count()


@pytest.mark.parametrize("entity", [None, "notice"])
async def test_an_empty_trail_lists_nothing(entity: str | None):
    assert await audit.list_entries(entity=entity) == ([], 0)

"""The audit trail is chained: any hand edit, removal or truncation is named by verify()."""

import asyncio

from recall import audit, db
from recall.auth import SYSTEM
from tests.factories import make_user
from tests.tampering import tamper


async def write_entries(count: int) -> None:
    for number in range(count):
        async with db.transaction():
            await audit.record(SYSTEM, audit.Change("probe", number, "created", new={"n": number}))


async def test_fresh_chain_verifies():
    await write_entries(5)
    result = await audit.verify()
    assert (result.ok, result.entries, result.first_bad) == (True, 5, None)


async def test_chain_verifies_with_any_text_in_the_entries():
    # PostgreSQL hashes in SQL what Python hashes on verify: both must see the same text.
    tricky = 'Sirup "batuk" \\ cair\n\tkeruh — obat 漢字 é \x01\x1f'
    async with db.transaction():
        await audit.record(
            SYSTEM,
            audit.Change("probe", tricky, "created", new={"text": tricky}, reason=tricky),
            audit.Change("probe", 2, "changed", old={"n": 1}, new={"n": [2, None, 1.5]}),
        )
    await write_entries(2)
    result = await audit.verify()
    assert (result.ok, result.entries) == (True, 4)


async def test_altered_row_is_named():
    await write_entries(5)
    await tamper("UPDATE audit_entry SET new_values = {} WHERE seq = 3", '{"n": 99}')
    result = await audit.verify()
    assert (result.ok, result.first_bad, result.problem) == (False, 3, "entry altered")


async def test_removed_row_is_named():
    await write_entries(5)
    await tamper("DELETE FROM audit_entry WHERE seq = 2")
    result = await audit.verify()
    assert (result.ok, result.first_bad) == (False, 2)


async def test_removed_tail_is_detected():
    await write_entries(5)
    await tamper("DELETE FROM audit_entry WHERE seq = 5")
    result = await audit.verify()
    assert (result.ok, result.first_bad) == (False, 5)


async def test_record_outside_a_transaction_is_refused():
    try:
        await audit.record(SYSTEM, audit.Change("probe", 1, "created"))
    except RuntimeError:
        return
    raise AssertionError("audit.record outside a transaction must fail")


async def test_rolled_back_change_leaves_no_entry():
    class Boom(Exception):
        pass

    try:
        async with db.transaction():
            await audit.record(SYSTEM, audit.Change("probe", 1, "created"))
            raise Boom
    except Boom:
        pass
    _, total = await audit.list_entries()
    assert total == 0
    assert (await audit.verify()).ok


async def test_concurrent_writers_keep_one_chain():
    await asyncio.gather(*(make_user("cs") for _ in range(12)))
    result = await audit.verify()
    assert (result.ok, result.entries) == (True, 12)


async def test_history_is_oldest_first():
    await write_entries(3)
    async with db.transaction():
        await audit.record(SYSTEM, audit.Change("probe", 1, "changed", old={"n": 1}, new={"n": 2}))
    history = await audit.history("probe", 1)
    assert [entry.action for entry in history] == ["created", "changed"]
    assert history[1].old_values == {"n": 1}


async def test_postgresql_refuses_edits_of_the_trail():
    from piccolo.engine.postgres import PostgresEngine

    if not isinstance(db.get_engine(), PostgresEngine):
        return  # the trigger exists on PostgreSQL, the production database
    await write_entries(1)
    for statement in ("UPDATE audit_entry SET reason = 'x'", "DELETE FROM audit_entry"):
        try:
            await db.fetch(statement)
        except Exception as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{statement} was allowed")

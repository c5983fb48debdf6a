"""The one route to the database, on whichever database the suite runs against."""

from __future__ import annotations

import asyncio
from contextvars import Context
from datetime import UTC, date, datetime

import pytest
from piccolo.engine.postgres import PostgresEngine

from recall import db
from tests.factories import make_batch, make_consignee


async def _counters(*pairs: tuple[str, int]) -> None:
    await db.insert_many("counter", (("name", "text"), ("value", "int")), list(pairs))


async def _names(sql: str, *values: object) -> list[str]:
    return [row["name"] for row in await db.fetch(sql, *values)]


async def test_fetch_reads_rows_by_column_name_and_they_compare_as_dicts():
    await _counters(("a", 1), ("b", 2))
    rows = await db.fetch("SELECT name, value FROM counter ORDER BY name")
    assert rows == [{"name": "a", "value": 1}, {"name": "b", "value": 2}]
    first = rows[0]
    assert first["value"] == 1 and first.get("missing") is None
    assert list(first) == ["name", "value"] and "name" in first and "other" not in first
    assert dict(first) == {**first} == {"name": "a", "value": 1}


async def test_execute_runs_a_statement_inside_the_transaction():
    await _counters(("a", 1))
    with pytest.raises(RuntimeError):
        async with db.transaction():
            assert db.in_transaction()
            await db.execute("UPDATE counter SET value = {} WHERE name = {}", 5, "a")
            assert await _names("SELECT name FROM counter WHERE value = {}", 5) == ["a"]
            raise RuntimeError("roll back")
    assert not db.in_transaction()
    assert await _names("SELECT name FROM counter WHERE value = {}", 1) == ["a"]


async def test_fetch_in_takes_parameters_before_and_after_the_list():
    await _counters(("a", 1), ("b", 2), ("c", 3), ("d", 4))
    sql = "SELECT name FROM counter WHERE value >= {} AND name IN (*) AND value < {} ORDER BY name"
    assert await _names_in(sql, ["a", "b", "c", "x"], 2, 4) == ["b", "c"]
    not_in = "SELECT name FROM counter WHERE name NOT IN (*) AND value > {} ORDER BY name"
    assert await _names_in(not_in, ["b"], 1) == ["c", "d"]


async def _names_in(sql: str, values: list[str], *params: object) -> list[str]:
    return [row["name"] for row in await db.fetch_in(sql, values, *params)]


async def test_fetch_in_with_no_values_matches_nothing_and_still_runs_once():
    await _counters(("a", 1))
    assert await db.fetch_in("SELECT name FROM counter WHERE name IN (*)", []) == []
    counted = await db.fetch_in("SELECT COUNT(*) AS n FROM counter WHERE name IN (*)", [])
    assert [row["n"] for row in counted] == [0]
    assert await _names_in("SELECT name FROM counter WHERE name NOT IN (*)", []) == ["a"]


async def test_fetch_in_refuses_sql_without_the_marker():
    with pytest.raises(ValueError, match=r"IN \(\*\)"):
        await db.fetch_in("SELECT name FROM counter WHERE name = {}", ["a"])


async def test_fetch_in_and_insert_many_take_more_values_than_one_statement_holds():
    names = [f"n{number:05d}" for number in range(db.IN_CHUNK * 2 + 7)]
    inserted = await db.insert_many(
        "counter",
        (("name", "text"), ("value", "int")),
        [(name, number) for number, name in enumerate(names)],
        "RETURNING id",
    )
    assert len(inserted) == len(names)
    rows = await db.fetch_in("SELECT name FROM counter WHERE value >= {} AND name IN (*)", names, 1)
    assert sorted(row["name"] for row in rows) == names[1:]
    statements: list[str] = []
    async with db.watch(statements.append):
        await db.fetch_in("SELECT name FROM counter WHERE name IN (*)", names)
    # One statement per chunk of placeholders on SQLite; one array parameter on PostgreSQL.
    assert len(statements) in (1, 3)


async def test_copy_loads_rows_in_bulk_inside_a_transaction_that_may_roll_back():
    records = [(f"c{number}", number) for number in range(2500)]
    async with db.transaction():
        await db.copy("counter", ("name", "value"), records)
        total = await db.fetch("SELECT COUNT(*) AS n, SUM(value) AS total FROM counter")
        assert (total[0]["n"], total[0]["total"]) == (2500, sum(range(2500)))
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.copy("counter", ("name", "value"), [("late", 1)])
            raise RuntimeError("roll back")
    assert await _names("SELECT name FROM counter WHERE name = {}", "late") == []
    await db.copy("counter", ("name", "value"), [])


async def test_copy_keeps_unique_keys():
    await _counters(("a", 1))
    with pytest.raises(Exception) as refused:
        async with db.transaction():
            await db.copy("counter", ("name", "value"), [("a", 2)])
    assert db.is_unique_violation(refused.value)


async def test_insert_returns_the_new_id_and_fetch_page_counts_every_row():
    first = await db.insert("counter", {"name": "p1", "value": 10})
    second = await db.insert("counter", {"name": "p2", "value": 20})
    assert second > first
    await _counters(("p3", 30), ("q1", 40))
    where, values = db.where(("name LIKE {}", ["p%"]), ("", []), ("value > {}", [10]))
    rows, total = await db.fetch_page("name", "counter" + where, "name DESC", values, 1, 0)
    assert [row["name"] for row in rows] == ["p3"] and total == 2
    assert db.where(("", [])) == ("", [])


async def test_words_match_any_column_whatever_the_case():
    await _counters(("Alpha-One", 1), ("beta-two", 2), ("gamma", 3))
    condition, values = db.words_in("ALPHA one", "name")
    assert await _names(f"SELECT name FROM counter WHERE {condition}", *values) == ["Alpha-One"]
    assert db.words_in("  ", "name") == ("", [])


async def test_for_update_locks_inside_a_write_transaction():
    await _counters(("a", 1))
    async with db.transaction():
        rows = await db.fetch("SELECT value FROM counter WHERE name = {}" + db.for_update(), "a")
    assert [row["value"] for row in rows] == [1]


async def test_utc_month_and_stored_times_read_back_as_python_values():
    at = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    await db.insert("revoked_token", {"jti": "j1", "expires_at": at})
    rows = await db.fetch(
        f"SELECT {db.utc_month('expires_at')} AS month, expires_at FROM revoked_token"
    )
    assert rows[0]["month"] == "2026-03" and db.as_utc(rows[0]["expires_at"]) == at
    assert db.as_date("2026-03-31") == date(2026, 3, 31)
    assert db.as_utc("2026-03-31T23:30:00+00:00") == at


async def test_rows_compare_unequal_to_other_values():
    await _counters(("a", 1))
    (row,) = await db.fetch("SELECT name, value FROM counter")
    same = {"name": "a", "value": 1}
    assert row != {"name": "a", "value": 2}
    assert not row.__ne__(same)
    assert 0 not in row and 1 not in row


async def test_a_row_locked_for_update_still_lets_rows_refer_to_it():
    """A recall locked while its notices grow must not hold up a worker inserting an alert
    that names it: such a foreign-key check waiting on the lock deadlocked a notice delivery
    against a late-shipment job."""
    if not isinstance(db.get_engine(), PostgresEngine):
        pytest.skip("SQLite's write transactions hold the whole database from their start")
    batch, consignee = await make_batch(), await make_consignee()

    async def refer_to_it() -> int:
        async with db.transaction():
            shipment = {"batch": batch.id, "consignee": consignee.id, "sender": None,
                        "quantity": 1, "shipped_on": date(2026, 1, 5),
                        "created_at": datetime.now(UTC)}  # fmt: skip
            return await db.insert("shipment", shipment)

    async with db.transaction():
        await db.fetch("SELECT id FROM batch WHERE id = {}" + db.for_update(), batch.id)
        # Outside this transaction's context: another connection, as another worker's.
        other = asyncio.get_running_loop().create_task(refer_to_it(), context=Context())
        done, _ = await asyncio.wait({other}, timeout=20)
        if not done:
            other.cancel()
    assert done, "the insert waited for the lock"
    assert other.result() > 0

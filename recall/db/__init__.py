"""Persistence plumbing: the engine, write transactions, counters, pool life cycle."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from string import Formatter
from typing import TYPE_CHECKING, Any, overload

os.environ.setdefault("PICCOLO_CONF", "recall.db.piccolo_conf")

from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

if TYPE_CHECKING:
    from recall.rules import ReferenceScheme

__all__ = [
    "as_date",
    "as_utc",
    "connect",
    "disconnect",
    "fetch",
    "fetch_in",
    "fetch_rows",
    "get_engine",
    "insert_many",
    "is_unique_violation",
    "next_number",
    "next_reference",
    "ping",
    "refresh_statistics",
    "run_migrations",
    "snapshot",
    "transaction",
]


@cache
def get_engine() -> Engine:
    """The engine every table uses (built from RECALL_DATABASE_URL)."""
    # Cached: piccolo_conf builds it once at import, and finding it costs an import lookup.
    found = engine_finder()
    if found is None:  # pragma: no cover - piccolo_conf always defines DB
        raise RuntimeError("no Piccolo engine configured")
    return found


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """One write transaction; nested calls join the outer one.

    On SQLite the transaction is IMMEDIATE so the write lock is taken up front
    instead of failing with "database is locked" half-way through.
    """
    db = get_engine()
    if isinstance(db, SQLiteEngine):
        async with db.transaction(transaction_type=TransactionType.immediate):
            yield
    elif isinstance(db, PostgresEngine) and db.current_transaction.get() is None:
        async with _pooled_transaction(db):
            yield
    else:
        async with db.transaction():
            yield


@asynccontextmanager
async def _pooled_transaction(db: PostgresEngine) -> AsyncIterator[None]:
    """Piccolo's transaction, with its connection given back to the pool whatever happens.

    When the server drops the connection, Piccolo's own exit fails in its rollback and
    never releases the connection: after as many drops as the pool is large, every request
    would wait for a connection for ever.
    """
    outer = db.transaction()
    try:
        await outer.__aenter__()
    except BaseException:
        await _discard(db, outer)
        raise
    try:
        yield
    except BaseException as exc:
        try:
            await outer.__aexit__(type(exc), exc, exc.__traceback__)
        except BaseException:
            await _discard(db, outer)
        raise
    try:
        await outer.__aexit__(None, None, None)
    except BaseException:
        await _discard(db, outer)
        raise


@asynccontextmanager
async def snapshot() -> AsyncIterator[None]:
    """One read-only transaction: every query inside sees the database as of its first one.

    PostgreSQL: REPEATABLE READ, READ ONLY. SQLite (WAL): a deferred transaction, whose first
    read fixes what it sees while writers go on. Inside a write transaction: joins it.
    """
    db = get_engine()
    if db.current_transaction.get() is not None:
        yield
    elif isinstance(db, SQLiteEngine):
        async with db.transaction(transaction_type=TransactionType.deferred):
            yield
    elif isinstance(db, PostgresEngine):
        async with _pooled_transaction(db):
            await fetch("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    else:  # pragma: no cover - only the two engines above are built
        async with db.transaction():
            yield


async def _discard(db: PostgresEngine, outer: Any) -> None:
    """Close a transaction's broken connection, return it to the pool, leave its context."""
    connection = getattr(outer, "connection", None)
    if connection is not None:
        connection.terminate()
        if db.pool is not None:
            await db.pool.release(connection)
    context = getattr(outer, "context", None)
    if context is not None and db.current_transaction.get() is outer:
        db.current_transaction.reset(context)


async def fetch(sql: str, *values: Any) -> list[dict[str, Any]]:
    """Run raw SQL with `{}` placeholders inside the current transaction, if any."""
    engine = get_engine()
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        # Straight to asyncpg: Piccolo's QueryString costs more to build than short queries
        # take to run, and these run on every request.
        current = engine.current_transaction.get()
        runner = engine.pool if current is None else current.connection
        rows = await runner.fetch(_numbered(sql), *values)
    else:
        rows = await engine.run_querystring(_querystring(sql, values))
    return [dict(row) for row in rows or []]


@lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    """`sql` with its `{}` placeholders numbered $1, $2, … as Piccolo compiles them."""
    numbered, number = [], 0
    for text, field, _, _ in Formatter().parse(sql):
        numbered.append(text)
        if field is not None:
            number += 1
            numbered.append(f"${number}")
    return "".join(numbered)


async def fetch_rows(sql: str, *values: Any) -> Sequence[Mapping[str, Any]]:
    """Like `fetch`, but rows as the driver returns them (read them by column name).

    For reads of thousands of rows: copying each into a dict costs more than the query.
    """
    return await get_engine().run_querystring(_querystring(sql, values)) or []


# Values per `IN (...)` on SQLite: well under its parameter limit.
IN_CHUNK = 5000


async def fetch_in(sql: str, values: Sequence[Any]) -> list[Mapping[str, Any]]:
    """Run `sql` whose `IN (*)` takes `values`: one array parameter on PostgreSQL, chunks of
    placeholders on SQLite (a query string of thousands of placeholders is slow to build)."""
    if isinstance(get_engine(), PostgresEngine):
        return list(await fetch_rows(sql.replace("IN (*)", "= ANY({})"), list(values)))
    rows: list[Mapping[str, Any]] = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        rows += await fetch_rows(sql.replace("(*)", f"({', '.join(['{}'] * len(chunk))})"), *chunk)
    return rows


async def insert_many(
    table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]], suffix: str = ""
) -> list[Mapping[str, Any]]:
    """Insert rows in bulk; `columns` are (name, PostgreSQL type), `suffix` e.g. a RETURNING.

    PostgreSQL takes one array per column in a single statement (unnest): tens of thousands
    of rows without building a query of as many placeholders. SQLite takes chunks of VALUES.
    """
    if not rows:
        return []
    names = ", ".join(name for name, _ in columns)
    if isinstance(get_engine(), PostgresEngine):
        arrays = ", ".join(f"{{}}::{kind}[]" for _, kind in columns)
        sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {suffix}"
        return list(await fetch_rows(sql, *(list(column) for column in zip(*rows, strict=True))))
    inserted: list[Mapping[str, Any]] = []
    marks = "(" + ", ".join("{}" for _ in columns) + ")"
    per_statement = max(1, IN_CHUNK // len(columns))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([marks] * len(chunk))} {suffix}"
        inserted += await fetch_rows(sql, *(value for row in chunk for value in row))
    return inserted


def _querystring(sql: str, values: tuple[Any, ...]) -> Any:
    from piccolo.querystring import QueryString

    return QueryString(sql, *values)


async def refresh_statistics(*table_names: str) -> None:
    """Re-sample the planner's statistics of tables that just grew in bulk.

    Autovacuum gets to them within a minute or, on a large table, not at all (10 % must
    change); until then queries over the new rows are planned as if they were a handful.
    """
    for name in table_names:
        await fetch(f"ANALYZE {name}")


async def next_number(name: str) -> int:
    """Atomically take the next value of a named counter (unique under concurrency)."""
    rows = await fetch(
        "INSERT INTO counter (name, value) VALUES ({}, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = counter.value + 1 RETURNING value",
        name,
    )
    return int(rows[0]["value"])


async def next_reference(scheme: ReferenceScheme, at: datetime) -> str:
    """The next human reference of `scheme` for the UTC year of `at` (e.g. CMP-2026-000123)."""
    return scheme.format(at, await next_number(scheme.counter(at)))


async def ping() -> None:
    """Raise when the database cannot answer a trivial query."""
    await fetch("SELECT 1 AS ok")


async def connect(max_size: int = 20) -> None:
    """Start the PostgreSQL pool (a no-op on SQLite, which has none)."""
    db = get_engine()
    if isinstance(db, PostgresEngine) and db.pool is None:
        await db.start_connection_pool(min_size=1, max_size=max_size, reset=_keep_session)


async def _keep_session(connection: Any) -> None:
    """Skip asyncpg's reset query (RESET ALL, UNLISTEN *, …) when a connection goes back to
    the pool: one more round trip per query outside a transaction, and nothing here sets
    session state, listens or holds advisory locks. An open transaction is still rolled back.
    """


async def disconnect() -> None:
    """Close the PostgreSQL pool if one was started."""
    db = get_engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()


async def run_migrations() -> None:
    """Apply every migration not yet applied (both databases)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


def _connection_lost() -> tuple[type[Exception], ...]:
    from asyncpg import exceptions as postgres

    return (
        postgres.PostgresConnectionError,  # class 08: the connection failed or was closed
        postgres.OperatorInterventionError,  # class 57: the server shut it down or restarts
        postgres.InterfaceError,  # the client's connection is no longer usable
        postgres.InternalClientError,  # its protocol state broke with the connection
    )


# Driver errors meaning the database went away mid-request: the caller may try again.
CONNECTION_LOST = _connection_lost()


def is_unique_violation(exc: BaseException) -> bool:
    """True for a duplicate-key error from either database."""
    import sqlite3

    import asyncpg

    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


# Raw SQL on SQLite may hand back ISO text where a column's declared type does not survive
# the query (joins, expressions); these give every caller the Python type either way.


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: datetime | str) -> datetime: ...
def as_utc(value: datetime | str | None) -> datetime | None:
    """A stored time as an aware UTC datetime (None stays None)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(UTC)

"""The one route to the database: raw SQL, transactions, counters, pool life cycle.

Services run SQL through `fetch`, `fetch_in`, `execute`, `insert_many` and `copy`, and ask
the helpers below (`for_update`, `caseless_like`, …) where SQLite and PostgreSQL differ.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, overload

os.environ.setdefault("PICCOLO_CONF", "recall.db.piccolo_conf")

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from recall.db._dialect import (
    caseless_like,
    for_update,
    has_stored_functions,
    in_transaction,
    rows_table,
    utc_month,
    words_in,
)
from recall.db._queries import (
    IN_CHUNK,
    Row,
    copy,
    execute,
    fetch,
    fetch_in,
    fetch_page,
    get_engine,
    insert,
    insert_many,
    watch,
    where,
)

if TYPE_CHECKING:
    from recall.rules import ReferenceScheme

__all__ = [
    "IN_CHUNK",
    "Row",
    "as_date",
    "as_utc",
    "caseless_like",
    "connect",
    "copy",
    "disconnect",
    "execute",
    "fetch",
    "fetch_in",
    "fetch_page",
    "for_update",
    "get_engine",
    "has_stored_functions",
    "in_transaction",
    "insert",
    "insert_many",
    "is_unique_violation",
    "next_number",
    "next_reference",
    "ping",
    "refresh_statistics",
    "rows_table",
    "run_migrations",
    "snapshot",
    "transaction",
    "utc_month",
    "watch",
    "where",
    "words_in",
]


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
            await execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
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


async def refresh_statistics(*table_names: str) -> None:
    """Re-sample the planner's statistics of tables that just grew in bulk.

    Autovacuum gets to them within a minute or, on a large table, not at all (10 % must
    change); until then queries over the new rows are planned as if they were a handful.
    """
    for name in table_names:
        await execute(f"ANALYZE {name}")


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
    await execute("SELECT 1 AS ok")


async def connect(max_size: int | None = None) -> None:
    """Start the PostgreSQL pool of `max_size` connections, RECALL_DATABASE_POOL_SIZE unless
    given (a no-op on SQLite, which has none)."""
    db = get_engine()
    if isinstance(db, PostgresEngine) and db.pool is None:
        from recall.settings import get_settings

        size = max_size or get_settings().database_pool_size
        await db.start_connection_pool(min_size=1, max_size=size, reset=_keep_session)


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

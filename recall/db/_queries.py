"""Raw SQL with `{}` placeholders: the one route from the services to either database.

PostgreSQL: asyncpg, on the current transaction's connection or the pool (a connection of
its own before the pool starts). SQLite: Piccolo's engine, which joins the current
transaction. Rows are read by column name on both: asyncpg records (as `Row`) and dicts.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import cache, lru_cache
from string import Formatter
from typing import Any

import asyncpg
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

# Values per `IN (...)` on SQLite, and values per multi-row INSERT: well under its
# parameter limit, and a query string of more placeholders is slow to build.
IN_CHUNK = 5000

# The `IN (*)` (or `NOT IN (*)`) marker that `fetch_in` fills with a list of values.
_IN_LIST = re.compile(r"\b(NOT\s+)?IN\s*\(\*\)", re.IGNORECASE)


@cache
def get_engine() -> Engine:
    """The engine every table uses (built from RECALL_DATABASE_URL)."""
    # Cached: piccolo_conf builds it once at import, and finding it costs an import lookup.
    found = engine_finder()
    if found is None:  # pragma: no cover - piccolo_conf always defines DB
        raise RuntimeError("no Piccolo engine configured")
    return found


class Row(asyncpg.Record):
    """A PostgreSQL row that reads, compares and unpacks like the dicts SQLite returns."""

    __slots__ = ()

    def __iter__(self) -> Any:
        return iter(self.keys())

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self[key]
        except KeyError:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping | asyncpg.Record):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]


Mapping.register(Row)

# Every statement's SQL is handed to these before it runs (see `watch`).
_watchers: list[Callable[[str], None]] = []


@asynccontextmanager
async def watch(seen: Callable[[str], None]) -> AsyncIterator[None]:
    """Call `seen(sql)` for every statement run through this module while inside.

    For measuring how many round trips a use case makes; costs nothing when unused.
    """
    _watchers.append(seen)
    try:
        yield
    finally:
        _watchers.remove(seen)


async def fetch(sql: str, *values: Any) -> list[Mapping[str, Any]]:
    """Run `sql` (placeholders `{}`) inside the current transaction, if any; its rows."""
    for seen in _watchers:
        seen(sql)
    engine = get_engine()
    if not isinstance(engine, PostgresEngine):
        return await engine.run_querystring(QueryString(sql, *values)) or []
    rows: list[Any]
    current = engine.current_transaction.get()
    if current is not None:
        rows = await current.connection.fetch(_numbered(sql), *values, record_class=Row)
    elif engine.pool is not None:
        rows = await engine.pool.fetch(_numbered(sql), *values, record_class=Row)
    else:
        connection = await engine.get_new_connection()
        try:
            rows = await connection.fetch(_numbered(sql), *values, record_class=Row)
        finally:
            await connection.close()
    return rows


async def execute(sql: str, *values: Any) -> None:
    """Run a statement whose rows, if any, nobody reads."""
    await fetch(sql, *values)


@lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    """`sql` with its `{}` placeholders numbered $1, $2, … as asyncpg takes them."""
    numbered, number = [], 0
    for text, field, _, _ in Formatter().parse(sql):
        numbered.append(text)
        if field is not None:
            number += 1
            numbered.append(f"${number}")
    return "".join(numbered)


async def fetch_in(sql: str, values: Sequence[Any], *params: Any) -> list[Mapping[str, Any]]:
    """Run `sql` whose one `IN (*)` takes `values`, its `{}` placeholders `params` in order.

    PostgreSQL: one array parameter (`= ANY`, `NOT IN` as `<> ALL`). SQLite: the statement
    once per chunk of placeholders, rows in chunk order; with no values, once with `IN ()`.
    """
    match = _IN_LIST.search(sql)
    if match is None:
        raise ValueError("fetch_in needs an IN (*) in its SQL")
    before, after = sql[: match.start()], sql[match.end() :]
    at = sum(1 for _, field, _, _ in Formatter().parse(before) if field is not None)
    head, tail = params[:at], params[at:]
    if isinstance(get_engine(), PostgresEngine):
        test = "<> ALL({})" if match.group(1) else "= ANY({})"
        return await fetch(before + test + after, *head, list(values), *tail)
    rows: list[Mapping[str, Any]] = []
    for start in range(0, max(len(values), 1), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        marks = ", ".join(["{}"] * len(chunk))
        test = f"{match.group(1) or ''}IN ({marks})"
        rows += await fetch(before + test + after, *head, *chunk, *tail)
    return rows


async def insert(table: str, row: Mapping[str, Any]) -> int:
    """Insert one row (column: value); its new id."""
    marks = ", ".join("{}" for _ in row)
    sql = f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks}) RETURNING id"
    return int((await fetch(sql, *row.values()))[0]["id"])


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
        return await fetch(sql, *(list(column) for column in zip(*rows, strict=True)))
    return await _insert_values(table, [name for name, _ in columns], rows, suffix)


async def _insert_values(
    table: str, names: Sequence[str], rows: Sequence[Sequence[Any]], suffix: str = ""
) -> list[Mapping[str, Any]]:
    """Multi-row INSERT … VALUES in chunks under SQLite's parameter limit."""
    inserted: list[Mapping[str, Any]] = []
    marks = "(" + ", ".join("{}" for _ in names) + ")"
    per_statement = max(1, IN_CHUNK // len(names))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = ", ".join([marks] * len(chunk))
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES {values} {suffix}"
        inserted += await fetch(sql, *(value for row in chunk for value in row))
    return inserted


async def copy(table: str, columns: Sequence[str], records: Sequence[Sequence[Any]]) -> None:
    """Bulk-load `records` into `columns` of `table`: COPY on PostgreSQL, INSERT on SQLite."""
    if not records:
        return
    engine = get_engine()
    if not isinstance(engine, PostgresEngine):
        await _insert_values(table, columns, records)
        return
    for seen in _watchers:
        seen(f"COPY {table}")
    current = engine.current_transaction.get()
    if current is not None:
        await current.connection.copy_records_to_table(
            table, records=records, columns=list(columns)
        )
    elif engine.pool is not None:
        await engine.pool.copy_records_to_table(table, records=records, columns=list(columns))
    else:
        connection = await engine.get_new_connection()
        try:
            await connection.copy_records_to_table(table, records=records, columns=list(columns))
        finally:
            await connection.close()


async def fetch_page(
    columns: str, source: str, order: str, values: Sequence[Any], limit: int, offset: int
) -> tuple[list[Mapping[str, Any]], int]:
    """One page of `SELECT columns FROM source ORDER BY order`, and how many rows in all.

    `source` is the FROM clause with its joins and WHERE, `values` its placeholders' values.
    """
    rows = await fetch(
        f"SELECT {columns} FROM {source} ORDER BY {order} LIMIT {{}} OFFSET {{}}",
        *values,
        limit,
        offset,
    )
    total = await fetch(f"SELECT COUNT(*) AS n FROM {source}", *values)
    return rows, int(total[0]["n"])


def where(*conditions: tuple[str, Sequence[Any]]) -> tuple[str, list[Any]]:
    """` WHERE a AND b …` of the (condition, its values) pairs whose condition is not empty,
    and their values in order; ("", []) when none is."""
    kept = [(sql, values) for sql, values in conditions if sql]
    if not kept:
        return "", []
    sql = " WHERE " + " AND ".join(condition for condition, _ in kept)
    return sql, [value for _, values in kept for value in values]

"""What differs between SQLite and PostgreSQL, named, so services never test the kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from recall.db._queries import get_engine


def _postgres() -> bool:
    return isinstance(get_engine(), PostgresEngine)


def in_transaction() -> bool:
    """True inside `transaction()` or `snapshot()` (on either database)."""
    return get_engine().current_transaction.get() is not None


def for_update() -> str:
    """A SELECT's suffix that locks its rows against other changes until the transaction ends.

    NO KEY: rows of other transactions may still refer to them (an alert naming a locked
    recall), so a worker inserting one never waits on, or deadlocks with, the lock. Empty on
    SQLite, whose write transactions hold the whole database from their start.
    """
    return " FOR NO KEY UPDATE" if _postgres() else ""


def caseless_like() -> str:
    """The operator matching a LIKE pattern whatever the case (SQLite's LIKE already is)."""
    return "ILIKE" if _postgres() else "LIKE"


def utc_month(column: str) -> str:
    """SQL for a timestamp column's UTC month as 'YYYY-MM'."""
    if _postgres():
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"
    return f"strftime('%Y-%m', {column})"


def has_stored_functions() -> bool:
    """True where the migrations' stored functions (e.g. audit_append) exist: PostgreSQL."""
    return _postgres()


def words_in(q: str | None, *columns: str, most: int = 5) -> tuple[str, list[str]]:
    """A condition: each of the first `most` words of `q` is in one of `columns`, whatever
    the case; with its values. ("", []) when `q` has no words."""
    words = (q or "").split()[:most]
    like = caseless_like()
    any_column = "(" + " OR ".join(f"{column} {like} {{}}" for column in columns) + ")"
    values = [f"%{word}%" for word in words for _ in columns]
    return " AND ".join([any_column] * len(words)), values


def rows_table(
    name: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
) -> tuple[str, list[Any]]:
    """`rows` as a table named `name` to join in a statement (`UPDATE … FROM`), with its
    values: typed arrays through unnest on PostgreSQL, a VALUES list on SQLite. `columns`
    are (name, PostgreSQL type), as for insert_many."""
    names = ", ".join(column for column, _ in columns)
    if _postgres():
        arrays = ", ".join(f"{{}}::{kind}[]" for _, kind in columns)
        values = [list(column) for column in zip(*rows, strict=True)]
        return f"unnest({arrays}) AS {name}({names})", values
    marks = "(" + ", ".join("{}" for _ in columns) + ")"
    renamed = ", ".join(f"column{n} AS {column}" for n, (column, _) in enumerate(columns, 1))
    listed = ", ".join([marks] * len(rows))
    flat = [value for row in rows for value in row]
    return f"(SELECT {renamed} FROM (VALUES {listed})) AS {name}", flat

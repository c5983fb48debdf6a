"""Editing the audit trail by hand, as an intruder with database access would."""

from __future__ import annotations

from typing import Any

from piccolo.engine.postgres import PostgresEngine

from recall import db


async def tamper(sql: str, *values: Any) -> None:
    """Run `sql` around the append-only trigger (PostgreSQL superuser bypass)."""
    engine = db.get_engine()
    if isinstance(engine, PostgresEngine):
        async with engine.transaction():
            await db.fetch("SET LOCAL session_replication_role = replica")
            await db.fetch(sql, *values)
    else:
        await db.fetch(sql, *values)

"""Editing the audit trail by hand, as an intruder with database access would."""

from __future__ import annotations

from typing import Any

from piccolo.engine.postgres import PostgresEngine

from recall import db
from recall.audit._chain import GENESIS_HASH, entry_hash, row_material


async def tamper(sql: str, *values: Any) -> None:
    """Run `sql` around the append-only triggers, as the database's owner can.

    PostgreSQL: session_replication_role = replica skips them (superuser). SQLite: the
    triggers are dropped and made again in the same transaction.
    """
    engine = db.get_engine()
    async with engine.transaction():
        if isinstance(engine, PostgresEngine):
            await db.fetch("SET LOCAL session_replication_role = replica")
            await db.fetch(sql, *values)
            return
        triggers = await db.fetch(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'trigger' AND tbl_name = 'audit_entry'"
        )
        for trigger in triggers:
            await db.fetch(f"DROP TRIGGER {trigger['name']}")
        await db.fetch(sql, *values)
        for trigger in triggers:
            await db.fetch(trigger["sql"])


async def rehash_from(seq: int, *, keep_key_id: bool = False) -> None:
    """Recompute every hash from `seq` on as plain SHA-256, marked unkeyed, and move the head
    to the end: the best an intruder without the key can do after rewriting an entry."""
    rows = [dict(row) for row in await db.fetch("SELECT * FROM audit_entry ORDER BY seq")]
    prev = GENESIS_HASH
    for row in rows:
        if row["seq"] >= seq:
            digest = entry_hash(row["seq"], row_material(row), prev)
            await tamper(
                "UPDATE audit_entry SET prev_hash = {}, hash = {}"
                + ("" if keep_key_id else ", key_id = NULL")
                + " WHERE seq = {}",
                prev, digest, row["seq"],
            )  # fmt: skip
            row["hash"] = digest
        prev = row["hash"]
    await tamper("UPDATE audit_head SET seq = {}, hash = {} WHERE id = 1", len(rows), prev)

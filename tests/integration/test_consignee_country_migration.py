"""The consignee country migration on an installation's existing consignees: each becomes
Indonesian ('ID'), a province written as a known alias takes its official name, and a new
consignee stored without a country (as older code paths insert it) is Indonesian too."""

from __future__ import annotations

import contextlib
import importlib.util
import io
from pathlib import Path

from piccolo.engine.postgres import PostgresEngine

from recall import clock, db

MIGRATION = next(Path(__file__).parents[2].glob("recall/db/migrations/*_consignee_country.py"))


def migration_module():
    spec = importlib.util.spec_from_file_location("consignee_country", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def has_country_column() -> bool:
    try:
        await db.fetch("SELECT country FROM consignee WHERE 1 = 0")
    except Exception:
        return False
    return True


async def add_old_consignee(code: str, province: str | None) -> None:
    row = {"code": code, "name": f"Old {code}", "kind": "pbf", "province": province,
           "active": True, "created_at": clock.now()}  # fmt: skip
    await db.insert("consignee", row)


async def triggers_naming_country() -> list[str]:
    """Set aside the triggers that name consignee.country; the statements that restore them.
    SQLite refuses to drop a column a trigger names: its triggers are dropped. PostgreSQL's
    would fail on the migration's UPDATE: consignee's are disabled."""
    if isinstance(db.get_engine(), PostgresEngine):
        await db.execute("ALTER TABLE consignee DISABLE TRIGGER USER")
        return ["ALTER TABLE consignee ENABLE TRIGGER USER"]
    rows = await db.fetch(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%country%'"
    )
    for row in rows:
        await db.execute(f"DROP TRIGGER {row['name']}")
    return [str(row["sql"]) for row in rows]


async def test_existing_consignees_become_indonesian_with_official_provinces():
    # The table as the first release made it: no country column (nor the triggers since).
    triggers = await triggers_naming_country()
    await db.execute("ALTER TABLE consignee DROP COLUMN country")
    try:
        await add_old_consignee("OLD-JKT", "Daerah Khusus Jakarta")
        await add_old_consignee("OLD-SBY", "east java")
        await add_old_consignee("OLD-MDN", "Sumatera Utara")
        await add_old_consignee("OLD-XYZ", "Kabupaten Entah")  # unknown: left as it was
        await add_old_consignee("OLD-NUL", None)
        manager = await migration_module().forwards()
        with contextlib.redirect_stdout(io.StringIO()):  # piccolo prints progress
            await manager.run()
    finally:
        if not await has_country_column():  # leave the schema as the other tests need it
            await db.execute(
                "ALTER TABLE consignee ADD COLUMN country VARCHAR(2) NOT NULL DEFAULT 'ID'"
            )
        for restore in triggers:
            await db.execute(restore)
    rows = await db.fetch("SELECT code, country, province FROM consignee ORDER BY code")
    assert [(row["code"], row["country"], row["province"]) for row in rows] == [
        ("OLD-JKT", "ID", "DKI Jakarta"),
        ("OLD-MDN", "ID", "Sumatera Utara"),
        ("OLD-NUL", "ID", None),
        ("OLD-SBY", "ID", "Jawa Timur"),
        ("OLD-XYZ", "ID", "Kabupaten Entah"),
    ]
    await add_old_consignee("NEW-1", None)
    (new,) = await db.fetch("SELECT country FROM consignee WHERE code = 'NEW-1'")
    assert new["country"] == "ID"
    # NOT NULL: a consignee is always in some market.
    try:
        await db.execute("UPDATE consignee SET country = NULL WHERE code = 'NEW-1'")
    except Exception:
        pass
    else:
        raise AssertionError("consignee.country took NULL")

"""On PostgreSQL the database itself refuses UPDATE and DELETE of audit entries."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-22T03:16:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit entries are append-only"

STATEMENTS = [
    """
    CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()
    """,
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            for statement in STATEMENTS:
                await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager

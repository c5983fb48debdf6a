"""The audit trail listed by record type or by action, newest first, reads one index range.

(entity, seq) replaces the index on entity alone; (action, seq) is new; seq keeps only its
unique constraint's index (the second, plain index on it was redundant).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import Varchar
from piccolo.engine import engine_finder

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS audit_entry_entity_seq ON audit_entry (entity, seq)",
    "CREATE INDEX IF NOT EXISTS audit_entry_action_seq ON audit_entry (action, seq)",
]

ID = "2026-12-06T11:26:57:785701"
VERSION = "1.38.0"
DESCRIPTION = "audit_listing_indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="AuditEntry",
        tablename="audit_entry",
        column_name="seq",
        db_column_name="seq",
        params={"index": False},
        old_params={"index": True},
        column_class=BigInt,
        old_column_class=BigInt,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AuditEntry",
        tablename="audit_entry",
        column_name="entity",
        db_column_name="entity",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager

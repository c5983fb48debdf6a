"""One row per (investigation, batch), (recall, batch) and (recall, consignee)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T04:27:35:000000"
VERSION = "1.38.0"
DESCRIPTION = "qa workflow unique keys"

STATEMENTS = [
    "CREATE UNIQUE INDEX investigation_batch_unique ON investigation_batch (investigation, batch)",
    "CREATE UNIQUE INDEX recall_batch_unique ON recall_batch (recall, batch)",
    "CREATE UNIQUE INDEX notice_recall_consignee ON notice (recall, consignee)",
    "CREATE INDEX notice_recall_status ON notice (recall, status)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager

"""The staged plan is read by recall in consignee order, chunk by chunk, and deleted as its
notices open: one index on (recall, consignee) serves each step without a sort."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T14:18:35:000000"
VERSION = "1.38.0"
DESCRIPTION = "recall_plan_line index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE INDEX IF NOT EXISTS recall_plan_line_recall_consignee "
            "ON recall_plan_line (recall, consignee)"
        )

    manager.add_raw(run)
    return manager

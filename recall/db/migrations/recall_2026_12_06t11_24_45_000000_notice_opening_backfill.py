"""Recalls approved before notices were opened in chunks had every notice opened at approval."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T11:24:45:000000"
VERSION = "1.38.0"
DESCRIPTION = "approved recalls: every notice opened at approval"

BACKFILL = (
    "UPDATE recall SET notices_opened_at = approved_at, "
    "notices_planned = (SELECT COUNT(*) FROM notice n WHERE n.recall = recall.id "
    "AND n.amendment IS NULL AND n.via_notice IS NULL) "
    "WHERE approved_at IS NOT NULL",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        for statement in BACKFILL:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager

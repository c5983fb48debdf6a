"""Notice lines written before they carried their notice's recall and tier get both."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T11:36:33:000000"
VERSION = "1.38.0"
DESCRIPTION = "copy each notice line's recall and tier from its notice"

BACKFILL = (
    "UPDATE notice_line SET "
    "recall = (SELECT n.recall FROM notice n WHERE n.id = notice_line.notice), "
    "tier = (SELECT n.tier FROM notice n WHERE n.id = notice_line.notice)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(BACKFILL)

    manager.add_raw(run)
    return manager

"""Recalls and deadlines made before several markets existed: their one profile, written out."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T04:40:12:000000"
VERSION = "1.38.0"
DESCRIPTION = "each recall's profiles and each deadline's profile from the recall's profile"

BACKFILL = (
    "UPDATE recall SET profiles = '[\"' || profile || '\"]' WHERE profiles IS NULL",
    "UPDATE recall_deadline SET profile = "
    "(SELECT r.profile FROM recall r WHERE r.id = recall_deadline.recall) WHERE profile IS NULL",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        for statement in BACKFILL:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager

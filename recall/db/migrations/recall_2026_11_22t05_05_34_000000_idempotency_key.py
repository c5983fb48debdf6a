"""One stored answer per (scope, Idempotency-Key)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T05:05:34:000000"
VERSION = "1.38.0"
DESCRIPTION = "idempotency key is unique per scope"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX idempotent_response_scope_key ON idempotent_response (scope, key)"
        )

    manager.add_raw(run)
    return manager

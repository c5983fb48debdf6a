"""Batches already under an approved recall: recalled since that recall's approval."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T07:45:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "batches of approved recalls are recalled, held from the earliest approval"

BACKFILL = (
    "UPDATE batch SET status = 'recalled', held_at = ("
    "SELECT MIN(r.approved_at) FROM recall r JOIN recall_batch rb ON rb.recall = r.id "
    "WHERE rb.batch = batch.id AND r.approved_at IS NOT NULL AND r.drill = false"
    ") WHERE EXISTS ("
    "SELECT 1 FROM recall r JOIN recall_batch rb ON rb.recall = r.id "
    "WHERE rb.batch = batch.id AND r.approved_at IS NOT NULL AND r.drill = false)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        for statement in BACKFILL:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager

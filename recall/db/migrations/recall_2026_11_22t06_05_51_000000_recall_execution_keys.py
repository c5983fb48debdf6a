"""One delivery per notice, channel and message; one sample entry per check and notice;
status reports numbered once per recall."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T06:05:51:000000"
VERSION = "1.38.0"
DESCRIPTION = "recall execution keys"

STATEMENTS = [
    "CREATE UNIQUE INDEX delivery_notice_message ON delivery (notice, channel, message, sequence)",
    "CREATE UNIQUE INDEX effectiveness_contact_check_notice "
    "ON effectiveness_contact (effectiveness_check, notice)",
    "CREATE UNIQUE INDEX status_report_recall_number ON status_report (recall, number)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import SmallInt
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T11:13:58:758607"
VERSION = "1.38.0"
DESCRIPTION = "outbox_priority"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="recall", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Outbox",
        tablename="outbox",
        column_name="priority",
        db_column_name="priority",
        column_class_name="SmallInt",
        column_class=SmallInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager

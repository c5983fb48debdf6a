from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T11:24:44:880981"
VERSION = "1.38.0"
DESCRIPTION = "notice_opening"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="recall", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Recall",
        tablename="recall",
        column_name="notices_opened_at",
        db_column_name="notices_opened_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
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

    manager.add_column(
        table_class_name="Recall",
        tablename="recall",
        column_name="notices_planned",
        db_column_name="notices_planned",
        column_class_name="Integer",
        column_class=Integer,
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

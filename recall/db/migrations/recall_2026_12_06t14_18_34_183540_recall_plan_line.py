"""A recall's notice plan, staged by the database at approval until its notices open.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T14:18:34:183540"
VERSION = "1.38.0"
DESCRIPTION = "recall_plan_line"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="recall", description=DESCRIPTION
    )

    manager.add_table(
        class_name="RecallPlanLine",
        tablename="recall_plan_line",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="RecallPlanLine",
        tablename="recall_plan_line",
        column_name="recall",
        db_column_name="recall",
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

    manager.add_column(
        table_class_name="RecallPlanLine",
        tablename="recall_plan_line",
        column_name="consignee",
        db_column_name="consignee",
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

    manager.add_column(
        table_class_name="RecallPlanLine",
        tablename="recall_plan_line",
        column_name="tier",
        db_column_name="tier",
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

    manager.add_column(
        table_class_name="RecallPlanLine",
        tablename="recall_plan_line",
        column_name="batch",
        db_column_name="batch",
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

    manager.add_column(
        table_class_name="RecallPlanLine",
        tablename="recall_plan_line",
        column_name="quantity",
        db_column_name="quantity",
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

"""Consignees gain their country; those stored before are Indonesian ('ID'), and a province
they wrote as a known alias ("Daerah Khusus Jakarta", "East Java") takes its official name, so
a recall's figures by province count each province once. An unknown province is left as it was.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T04:40:30:285705"
VERSION = "1.38.0"
DESCRIPTION = "consignee country (ISO 3166 alpha-2), existing consignees ID"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Consignee",
        tablename="consignee",
        column_name="country",
        db_column_name="country",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 2,
            "default": "ID",
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

    manager.add_raw(official_provinces)
    return manager


async def official_provinces() -> None:
    from recall import db, regulatory

    for row in await db.fetch("SELECT DISTINCT province FROM consignee WHERE province IS NOT NULL"):
        official = regulatory.canonical_province(row["province"])
        if official and official != row["province"]:
            await db.execute(
                "UPDATE consignee SET province = {} WHERE province = {}", official, row["province"]
            )

"""Composite unique keys and the indexes the trace query walks (both databases)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T03:15:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique keys and trace indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX batch_product_batch_no ON batch (product, batch_no)",
    "CREATE UNIQUE INDEX material_lot_material_lot_no ON material_lot (material, lot_no)",
    "CREATE UNIQUE INDEX batch_material_batch_lot ON batch_material (batch, material_lot)",
    "CREATE INDEX shipment_batch_sender ON shipment (batch, sender)",
    "CREATE INDEX shipment_batch_consignee ON shipment (batch, consignee)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager

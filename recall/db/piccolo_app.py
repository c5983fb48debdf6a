"""The one Piccolo app: every table of every context, and its migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from recall.audit.tables import AuditEntry, AuditHead
from recall.auth.tables import ApiKey, User
from recall.complaints.tables import Complaint
from recall.db.tables import Counter
from recall.masterdata.tables import (
    Batch,
    BatchMaterial,
    Consignee,
    MaterialLot,
    Product,
    Shipment,
)

APP_CONFIG = AppConfig(
    app_name="recall",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[
        Counter,
        AuditHead,
        AuditEntry,
        Consignee,
        User,
        ApiKey,
        Product,
        Batch,
        MaterialLot,
        BatchMaterial,
        Shipment,
        Complaint,
    ],
    migration_dependencies=[],
    commands=[],
)

"""The one Piccolo app: every table of every context, and its migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from recall.alerts.tables import Alert
from recall.audit.tables import AuditEntry, AuditHead
from recall.auth.tables import ApiKey, RevokedToken, Signature, User
from recall.complaints.tables import Complaint, ComplaintObligation, ComplaintReply
from recall.db.tables import Counter
from recall.evidence.tables import Attachment
from recall.exports.tables import ExportJob
from recall.investigations.tables import Capa, CapaEffectiveness, Investigation, InvestigationBatch
from recall.masterdata.tables import (
    Batch,
    BatchMaterial,
    Consignee,
    MaterialLot,
    Product,
    Shipment,
    ShipmentImport,
)
from recall.notices.tables import (
    Delivery,
    DeliveryAttempt,
    IdempotentResponse,
    Notice,
    NoticeLine,
    NoticeTally,
    ReturnScan,
)
from recall.outbox.tables import Outbox
from recall.recalls.tables import (
    AuthoritySubmission,
    Destruction,
    EffectivenessCheck,
    EffectivenessContact,
    PublicWarning,
    Recall,
    RecallAmendment,
    RecallBatch,
    RecallDeadline,
    RecallPlanLine,
    StatusReport,
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
        RevokedToken,
        Product,
        Batch,
        MaterialLot,
        BatchMaterial,
        Shipment,
        ShipmentImport,
        Complaint,
        ComplaintReply,
        ComplaintObligation,
        Signature,
        Investigation,
        InvestigationBatch,
        Capa,
        CapaEffectiveness,
        Recall,
        RecallBatch,
        RecallAmendment,
        RecallPlanLine,
        RecallDeadline,
        Notice,
        NoticeLine,
        NoticeTally,
        IdempotentResponse,
        ReturnScan,
        Delivery,
        DeliveryAttempt,
        Outbox,
        Alert,
        Destruction,
        EffectivenessCheck,
        EffectivenessContact,
        StatusReport,
        AuthoritySubmission,
        PublicWarning,
        Attachment,
        ExportJob,
    ],
    migration_dependencies=[],
    commands=[],
)

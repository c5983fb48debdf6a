"""JSON controllers, one per resource."""

from web.api.alerts import AlertController
from web.api.amendments import AmendmentController
from web.api.api_keys import ApiKeyController
from web.api.attachments import AttachmentController
from web.api.audit import AuditController
from web.api.authorities import AuthorityController
from web.api.closeout import (
    DestructionController,
    EffectivenessCheckController,
    RecallClosureController,
    ReconciliationController,
)
from web.api.complaints import ComplaintController
from web.api.distribution import ShipmentController, TraceController
from web.api.investigations import CapaController, InvestigationController
from web.api.masterdata import (
    BatchController,
    ConsigneeController,
    MaterialLotController,
    ProductController,
)
from web.api.notices import NoticeController
from web.api.recalls import RecallController
from web.api.reports import (
    AuthorityReportController,
    RecallReportController,
    StatusReportController,
)
from web.api.system import SystemController
from web.api.users import AuthController, UserController

ROUTE_HANDLERS = [
    ComplaintController,
    SystemController,
    AuthController,
    UserController,
    AuditController,
    ProductController,
    BatchController,
    MaterialLotController,
    ConsigneeController,
    ApiKeyController,
    ShipmentController,
    TraceController,
    InvestigationController,
    CapaController,
    RecallController,
    AmendmentController,
    AuthorityController,
    ReconciliationController,
    DestructionController,
    EffectivenessCheckController,
    RecallClosureController,
    StatusReportController,
    RecallReportController,
    AuthorityReportController,
    NoticeController,
    AlertController,
    AttachmentController,
]

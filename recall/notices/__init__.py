"""Recall notices: one per consignee within a recall's depth, and the recall's progress."""

from recall.notices._alert_mail import mail_alert
from recall.notices._answers import (
    DuplicateScan,
    ReturnLine,
    ReturnsRecorded,
    StockLine,
    StockReport,
    StockReturn,
    hold_consignee_notice,
    record_returns,
    report_stock,
)
from recall.notices._cascade import name_sub_consignees
from recall.notices._consignee import (
    ConsigneeNotice,
    NoticeLineShown,
    NoticeRecall,
    acknowledge_notice,
    get_own_notice,
    list_own_notices,
)
from recall.notices._delivery import deliver
from recall.notices._delivery_schedule import (
    DELIVER_JOB,
    Channel,
    DeliveryStatus,
    Message,
    priority_of,
)
from recall.notices._delivery_schedule import schedule as schedule_deliveries
from recall.notices._delivery_send import (
    DeliveryError,
    Outcome,
    Sender,
    retry_delay,
    webhook_outcome,
)
from recall.notices._idempotency import IdempotencyKey, StoredAnswer
from recall.notices._in_flight import InFlightLimit
from recall.notices._links import portal_token
from recall.notices._models import (
    DEPTH_REACHES,
    NO_PROGRESS,
    NoticeStatus,
    NoticeSummary,
    PlannedLine,
    PlannedNotice,
    Progress,
    TierProgress,
    is_overdue,
    unaccounted,
    within_depth,
)
from recall.notices._named import (
    NamedLine,
    NamedSubConsignee,
    NoticeOutcome,
    SubConsignee,
    SubConsigneeNaming,
    SubConsigneeNotice,
    SubConsigneesNamed,
    list_sub_consignees,
)
from recall.notices._overview import (
    ConsigneeFilter,
    ConsigneeRow,
    consignee_rows,
    delivery_failures,
    response_counts,
)
from recall.notices._portal import PortalLink, notice_by_token
from recall.notices._progress import LevelProgress, progress, progress_by_level
from recall.notices._reminders import OpenNotices, open_at_deadline, send_due_reminders
from recall.notices._rotation import Resealed, reseal_secrets
from recall.notices._scope import NoticesExtended, extend_notices, reached_consignees
from recall.notices._service import create_notices, list_notices

__all__ = [
    "DELIVER_JOB",
    "DEPTH_REACHES",
    "NO_PROGRESS",
    "Channel",
    "ConsigneeFilter",
    "ConsigneeNotice",
    "ConsigneeRow",
    "DeliveryError",
    "DeliveryStatus",
    "DuplicateScan",
    "IdempotencyKey",
    "InFlightLimit",
    "LevelProgress",
    "Message",
    "NamedLine",
    "NamedSubConsignee",
    "NoticeLineShown",
    "NoticeOutcome",
    "NoticeRecall",
    "NoticeStatus",
    "NoticeSummary",
    "NoticesExtended",
    "OpenNotices",
    "Outcome",
    "PlannedLine",
    "PlannedNotice",
    "PortalLink",
    "Progress",
    "Resealed",
    "ReturnLine",
    "ReturnsRecorded",
    "Sender",
    "StockLine",
    "StockReport",
    "StockReturn",
    "StoredAnswer",
    "SubConsignee",
    "SubConsigneeNaming",
    "SubConsigneeNotice",
    "SubConsigneesNamed",
    "TierProgress",
    "acknowledge_notice",
    "consignee_rows",
    "create_notices",
    "deliver",
    "delivery_failures",
    "extend_notices",
    "get_own_notice",
    "hold_consignee_notice",
    "is_overdue",
    "list_notices",
    "list_own_notices",
    "list_sub_consignees",
    "mail_alert",
    "name_sub_consignees",
    "notice_by_token",
    "open_at_deadline",
    "portal_token",
    "priority_of",
    "progress",
    "progress_by_level",
    "reached_consignees",
    "record_returns",
    "report_stock",
    "reseal_secrets",
    "response_counts",
    "retry_delay",
    "schedule_deliveries",
    "send_due_reminders",
    "unaccounted",
    "webhook_outcome",
    "within_depth",
]

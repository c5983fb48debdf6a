"""Recall notices: one per consignee within a recall's depth, and the recall's progress."""

from recall.notices import idempotency
from recall.notices.consignee import (
    ConsigneeNotice,
    DuplicateScan,
    NoticeBatch,
    NoticeLineShown,
    NoticeRecall,
    ReturnLine,
    ReturnsRecorded,
    StockLine,
    acknowledge_notice,
    get_own_notice,
    list_own_notices,
    record_returns,
    report_stock,
)
from recall.notices.delivery import Channel, DeliveryStatus, Message
from recall.notices.delivery import schedule as schedule_deliveries
from recall.notices.idempotency import IdempotencyKey, StoredAnswer
from recall.notices.models import (
    NO_PROGRESS,
    NoticeStatus,
    NoticeSummary,
    PlannedLine,
    PlannedNotice,
    Progress,
)
from recall.notices.service import create_notices, list_notices, progress

__all__ = [
    "NO_PROGRESS",
    "Channel",
    "ConsigneeNotice",
    "DeliveryStatus",
    "DuplicateScan",
    "IdempotencyKey",
    "Message",
    "NoticeBatch",
    "NoticeLineShown",
    "NoticeRecall",
    "NoticeStatus",
    "NoticeSummary",
    "PlannedLine",
    "PlannedNotice",
    "Progress",
    "ReturnLine",
    "ReturnsRecorded",
    "StockLine",
    "StoredAnswer",
    "acknowledge_notice",
    "create_notices",
    "get_own_notice",
    "idempotency",
    "list_notices",
    "list_own_notices",
    "progress",
    "record_returns",
    "report_stock",
    "schedule_deliveries",
]

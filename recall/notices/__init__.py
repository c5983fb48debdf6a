"""Recall notices: one per consignee within a recall's depth, and the recall's progress."""

from recall.notices import idempotency
from recall.notices.consignee import (
    ConsigneeNotice,
    NoticeBatch,
    NoticeLineShown,
    NoticeRecall,
    acknowledge_notice,
    get_own_notice,
    list_own_notices,
)
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
    "ConsigneeNotice",
    "IdempotencyKey",
    "NoticeBatch",
    "NoticeLineShown",
    "NoticeRecall",
    "NoticeStatus",
    "NoticeSummary",
    "PlannedLine",
    "PlannedNotice",
    "Progress",
    "StoredAnswer",
    "acknowledge_notice",
    "create_notices",
    "get_own_notice",
    "idempotency",
    "list_notices",
    "list_own_notices",
    "progress",
]

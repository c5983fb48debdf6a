"""Recall notices: one per consignee within a recall's depth, and the recall's progress."""

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
    "NoticeStatus",
    "NoticeSummary",
    "PlannedLine",
    "PlannedNotice",
    "Progress",
    "create_notices",
    "list_notices",
    "progress",
]

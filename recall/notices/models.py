"""Recall notices as the rest of the system sees them (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class NoticeStatus(StrEnum):
    # Created at approval; delivery (webhook, e-mail) moves it on.
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"


@dataclass(frozen=True)
class PlannedLine:
    batch_id: int
    quantity_distributed: int


@dataclass(frozen=True)
class PlannedNotice:
    """A notice to create: one consignee, the tier it is reached at, what it received."""

    consignee_id: int
    tier: int
    lines: tuple[PlannedLine, ...]


@dataclass(frozen=True)
class NoticeSummary:
    id: int
    consignee_code: str
    consignee_name: str
    tier: int
    status: str
    acknowledged_at: datetime | None
    quantity_distributed: int


@dataclass(frozen=True)
class Progress:
    """How far a recall has got, counted in the database."""

    consignees_total: int
    notified: int
    acknowledged: int
    responded: int
    overdue: int
    quantity_distributed: int
    quantity_on_hand: int
    quantity_returned: int
    quantity_destroyed: int

    @property
    def quantity_unaccounted(self) -> int:
        return (
            self.quantity_distributed
            - self.quantity_on_hand
            - self.quantity_returned
            - self.quantity_destroyed
        )


NO_PROGRESS = Progress(0, 0, 0, 0, 0, 0, 0, 0, 0)

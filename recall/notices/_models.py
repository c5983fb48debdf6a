"""Recall notices as the rest of the system sees them (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class NoticeStatus(StrEnum):
    # Created at approval; delivery (webhook, e-mail) moves it on.
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"


# Which consignees beyond tier 1 a recall's depth (wholesale | retail | consumer) reaches,
# by consignee kind (None: every kind). Tier 1 (our direct accounts) always gets a notice.
DEPTH_REACHES: dict[str, frozenset[str] | None] = {
    "wholesale": frozenset({"pbf"}),
    "retail": frozenset({"pbf", "hospital", "pharmacy", "clinic", "drugstore", "other"}),
    "consumer": None,
}


def within_depth(depth: str, tier: int, kind: str) -> bool:
    """Whether a consignee reached at `tier` gets a notice for a recall of this depth."""
    if tier == 1:
        return True
    kinds = DEPTH_REACHES[depth]
    return kinds is None or kind in kinds


@dataclass(frozen=True, slots=True)
class PlannedLine:
    batch_id: int
    quantity_distributed: int


@dataclass(frozen=True, slots=True)
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


class Quantities(Protocol):
    @property
    def quantity_distributed(self) -> int: ...
    @property
    def quantity_on_hand(self) -> int: ...
    @property
    def quantity_returned(self) -> int: ...
    @property
    def quantity_destroyed(self) -> int: ...


def unaccounted(figures: Quantities) -> int:
    """Units neither held, returned nor destroyed; negative when over-reported (kept visible)."""
    return (
        figures.quantity_distributed
        - figures.quantity_on_hand
        - figures.quantity_returned
        - figures.quantity_destroyed
    )


@dataclass(frozen=True)
class TierProgress:
    """One tier's notices: how many got, acknowledged and answered them; its units."""

    tier: int
    consignees_total: int
    notified: int
    acknowledged: int
    responded: int
    overdue: int
    quantity_distributed: int
    quantity_on_hand: int
    quantity_returned: int
    last_notified_at: datetime | None


@dataclass(frozen=True)
class Progress:
    """How far a recall has got, counted in the database; quantities count tier 1 only."""

    consignees_total: int
    notified: int
    acknowledged: int
    responded: int
    overdue: int
    quantity_distributed: int
    quantity_on_hand: int
    quantity_returned: int
    quantity_destroyed: int
    tiers: tuple[TierProgress, ...] = ()

    @property
    def quantity_unaccounted(self) -> int:
        return unaccounted(self)

    @property
    def everyone_notified(self) -> bool:
        """Every consignee's notice delivered (and there is at least one)."""
        return 0 < self.consignees_total <= self.notified

    @property
    def last_notified_at(self) -> datetime | None:
        """When the latest notice was delivered; None once any notice is still undelivered."""
        if not self.everyone_notified:
            return None
        return max(tier.last_notified_at for tier in self.tiers if tier.last_notified_at)


NO_PROGRESS = Progress(0, 0, 0, 0, 0, 0, 0, 0, 0)


def is_overdue(responded_at: datetime | None, respond_by: datetime | None, now: datetime) -> bool:
    """A notice is overdue when it has no response and its level's deadline has passed."""
    return responded_at is None and respond_by is not None and respond_by < now

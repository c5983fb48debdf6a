"""Recalls as the rest of the system sees them, and the rules they obey (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from recall.actors import Actor
from recall.errors import Conflict
from recall.masterdata import BatchView, MaterialLot
from recall.notices import (
    NO_PROGRESS,
    PlannedLine,
    PlannedNotice,
    Progress,
    within_depth,
)
from recall.rules import ReferenceScheme

REFERENCES = ReferenceScheme("RCL", 4)  # RCL-2026-0007, numbered within the UTC year
TEXT_MAX = 5000
AUTHORITY_REFERENCE_MAX = 100
MAX_BATCHES = 1000


class RecallClass(StrEnum):
    I = "I"  # noqa: E741 - the regulators' own name for the class
    II = "II"
    III = "III"


class RecallType(StrEnum):
    VOLUNTARY = "voluntary"
    MANDATORY = "mandatory"


class Depth(StrEnum):
    WHOLESALE = "wholesale"
    RETAIL = "retail"
    CONSUMER = "consumer"


class RecallStatus(StrEnum):
    PROPOSED = "proposed"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


TRANSITIONS: dict[RecallStatus, frozenset[RecallStatus]] = {
    RecallStatus.PROPOSED: frozenset({RecallStatus.IN_PROGRESS}),
    RecallStatus.IN_PROGRESS: frozenset({RecallStatus.CLOSED}),
    RecallStatus.CLOSED: frozenset(),
}


def transition(current: str, target: RecallStatus) -> RecallStatus:
    """The new status if `current` may move to `target`; Conflict otherwise."""
    source = RecallStatus(current)
    if target not in TRANSITIONS[source]:
        raise Conflict(f"a {source.value} recall cannot become {target.value}")
    return target


@dataclass(frozen=True)
class Reached:
    """Units of one batch one consignee received at one tier (a line of the trace)."""

    consignee_id: int
    kind: str
    tier: int
    batch_id: int
    quantity: int


def plan_notices(depth: str, reached: Iterable[Reached]) -> list[PlannedNotice]:
    """One notice per consignee within the depth, at the lowest tier it is reached.

    Its lines count what it received at that tier, so tier-1 lines add up to exactly what
    left the plant and nothing is counted twice across tiers.
    """
    eligible = [line for line in reached if within_depth(depth, line.tier, line.kind)]
    lowest: dict[int, int] = {}
    for line in eligible:
        lowest[line.consignee_id] = min(line.tier, lowest.get(line.consignee_id, line.tier))
    quantities: dict[int, dict[int, int]] = {}
    for line in eligible:
        if line.tier == lowest[line.consignee_id]:
            batches = quantities.setdefault(line.consignee_id, {})
            batches[line.batch_id] = batches.get(line.batch_id, 0) + line.quantity
    return [
        PlannedNotice(
            consignee_id=consignee_id,
            tier=tier,
            lines=tuple(
                PlannedLine(batch_id, quantity)
                for batch_id, quantity in sorted(quantities[consignee_id].items())
            ),
        )
        for consignee_id, tier in sorted(lowest.items(), key=lambda item: (item[1], item[0]))
    ]


def signed_record(
    reference: str,
    recall_class: str,
    recall_type: str,
    depth: str,
    profile: str,
    reason: str,
    health_hazard_assessment: str,
    batches: Iterable[BatchView],
) -> dict[str, object]:
    """Exactly what an approval signs; its hash is stored with the signature."""
    return {
        "reference": reference,
        "recall_class": recall_class,
        "recall_type": recall_type,
        "depth": depth,
        "profile": profile,
        "reason": reason,
        "health_hazard_assessment": health_hazard_assessment,
        "batches": sorted(
            ({"gtin": b.gtin, "batch_no": b.batch_no} for b in batches),
            key=lambda b: (b["gtin"], b["batch_no"]),
        ),
    }


@dataclass(frozen=True)
class Deadline:
    name: str
    due_at: datetime
    rule: str


@dataclass(frozen=True)
class SignatureShown:
    """A signature as shown on the recall: printed name, meaning, UTC time."""

    full_name: str
    meaning: str
    signed_at: datetime
    action: str
    record_hash: str


@dataclass(frozen=True)
class RecallSummary:
    id: int
    reference: str
    status: str
    recall_class: str
    recall_type: str
    depth: str
    profile: str
    drill: bool
    proposed_at: datetime
    approved_at: datetime | None


@dataclass(frozen=True)
class RecallProposal:
    """What QA proposes to recall, why, how far and under which rules; batches or a lot."""

    reason: str
    recall_class: str
    recall_type: str
    depth: str
    profile: str
    health_hazard_assessment: str
    # Exactly one of batch_ids and material_lot_id.
    batch_ids: tuple[int, ...] | None = None
    material_lot_id: int | None = None
    investigation_id: int | None = None
    authority_reference: str | None = None
    drill: bool = False


@dataclass(frozen=True)
class Recall:
    id: int
    reference: str
    status: str
    investigation_id: int | None
    material_lot: MaterialLot | None
    reason: str
    recall_class: str
    recall_type: str
    authority_reference: str | None
    depth: str
    profile: str
    health_hazard_assessment: str
    drill: bool
    batches: list[BatchView]
    proposed_at: datetime
    proposed_by: int | None
    approved_at: datetime | None
    approved_by: int | None
    version: int
    deadlines: list[Deadline] = field(default_factory=list)
    signatures: list[SignatureShown] = field(default_factory=list)
    progress: Progress = NO_PROGRESS
    closed_at: datetime | None = None
    closed_by: int | None = None
    closure_justification: str | None = None
    # Readiness (reported for every recall, drills above all): how long building the
    # consignee list took at approval, and approval to the last notice being delivered.
    time_to_trace_seconds: float | None = None
    time_to_notify_seconds: float | None = None


def may_approve(proposed_by: int | None, actor: Actor) -> bool:
    """Four eyes: anyone but the recall's proposer may approve it (roles checked apart)."""
    return actor.id is None or proposed_by != actor.id


def deadline_met(deadline: Deadline, progress: Progress) -> bool:
    """Whether a deadline's work is done: notifying, once every consignee's notice is delivered."""
    return deadline.name == "notify_consignees" and progress.everyone_notified

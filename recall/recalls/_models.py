"""Recalls as the rest of the system sees them, and the rules they obey (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from recall.actors import Actor
from recall.errors import Conflict
from recall.masterdata import BatchView, MaterialLot
from recall.notices import (
    NO_PROGRESS,
    Progress,
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


class PublicWarningLevel(StrEnum):
    """The recall strategy's public warning (21 CFR 7.42(b)(2))."""

    NONE = "none"
    SPECIALISED = "specialised"  # specialised press, professional bodies
    GENERAL = "general"  # general news media


class DeadlineBasis(StrEnum):
    ORDER = "order"  # from 00:00 of the order letter's date, in the profile's time zone
    APPROVAL = "approval"
    AMENDMENT = "amendment"  # for the consignees an amendment added


class SubmissionKind(StrEnum):
    INITIAL_REPORT = "initial_report"
    STATUS_REPORT = "status_report"
    FINAL_REPORT = "final_report"
    TERMINATION_REQUEST = "termination_request"
    PUBLIC_WARNING = "public_warning"


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


def signed_record(
    reference: str,
    recall_class: str,
    recall_type: str,
    depth: str,
    profile: str,
    reason: str,
    health_hazard_assessment: str,
    batches: Iterable[BatchView],
    *,
    ordered_on: date | None = None,
    public_warning: str | None = None,
    profiles: Sequence[str] = (),
) -> dict[str, object]:
    """Exactly what an approval signs; its hash is stored with the signature.

    The order date, public warning and further markets are in it only when set, so the
    records of recalls approved before they existed hash as they did.
    """
    record: dict[str, object] = {
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
    if ordered_on is not None:
        record["ordered_on"] = ordered_on.isoformat()
    if public_warning is not None:
        record["public_warning"] = public_warning
    if len(profiles) > 1:
        record["profiles"] = list(profiles)
    return record


@dataclass(frozen=True)
class Deadline:
    """A due time of one profile (market); `name` is the key, as first-release clients read it."""

    name: str
    due_at: datetime
    rule: str
    key: str = ""
    profile: str = ""
    authority: str = ""
    basis: str = DeadlineBasis.APPROVAL.value
    met_at: datetime | None = None
    overridden: bool = False
    override_reason: str | None = None
    late: bool = False
    days_late: int | None = None
    amendment: int | None = None  # the scope amendment whose new consignees it runs for


AMENDMENT = "recall_amendment"  # the entity of its audit entries and signature


class AmendmentStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"


@dataclass(frozen=True)
class Amendment:
    """A change of a running recall's scope, as proposed and (once approved) signed."""

    id: int
    recall_id: int
    number: int
    status: str
    reason: str
    material_lot: MaterialLot | None
    batches_added: list[BatchView]
    consignees_added: int
    proposed_at: datetime
    proposed_by: int | None
    proposed_by_name: str | None
    approved_at: datetime | None
    approved_by: int | None
    approved_by_name: str | None
    signature: SignatureShown | None
    version: int


@dataclass(frozen=True)
class Submission:
    """A report or request sent to an authority (recorded after it was sent)."""

    id: int
    recall_id: int
    kind: str
    profile: str
    authority: str
    submitted_at: datetime
    channel: str
    reference: str | None
    addressees: list[str]
    recorded_at: datetime
    recorded_by: int | None
    meets: str | None = None  # the key of the profile's deadline this kind meets
    late: bool = False  # sent after that deadline was due
    days_late: int | None = None


@dataclass(frozen=True)
class SubmissionRecord:
    """What QA says was sent: `authority` is its name or profile key, in any case."""

    kind: str
    authority: str
    submitted_at: datetime
    channel: str
    reference: str | None = None
    addressees: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublicWarning:
    id: int
    recall_id: int
    published_on: date
    channel: str
    text: str
    url: str | None
    recorded_at: datetime
    recorded_by: int | None


@dataclass(frozen=True)
class PublicWarningRecord:
    published_on: date
    channel: str
    text: str
    url: str | None = None


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
    # One of profile and profiles (profile = profiles[0] when both are given).
    profile: str | None
    health_hazard_assessment: str
    # Exactly one of batch_ids and material_lot_id.
    batch_ids: tuple[int, ...] | None = None
    material_lot_id: int | None = None
    investigation_id: int | None = None
    authority_reference: str | None = None
    drill: bool = False
    ordered_on: date | None = None  # the order letter's date; a mandatory recall's only
    public_warning: str | None = None  # PublicWarningLevel; "none" when not given
    profiles: tuple[str, ...] | None = None


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
    ordered_on: date | None = None
    public_warning: str | None = None
    profiles: list[str] = field(default_factory=list)
    public_warnings: list[PublicWarning] = field(default_factory=list)
    retain_until: date | None = None
    amendments: list[Amendment] = field(default_factory=list)


def may_approve(proposed_by: int | None, actor: Actor) -> bool:
    """Four eyes: anyone but the recall's proposer may approve it (roles checked apart)."""
    return actor.id is None or proposed_by != actor.id


def deadline_met(deadline: Deadline, progress: Progress) -> bool:
    """Whether a deadline's work is done: what meets it happened (a submission, every notice
    of its market delivered or answered); notifying, once every notice is delivered."""
    if deadline.met_at is not None:
        return True
    return deadline.name == "notify_consignees" and progress.everyone_notified

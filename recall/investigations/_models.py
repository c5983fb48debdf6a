"""Investigations and CAPA as the rest of the system sees them, and their rules (no I/O)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from recall.errors import Conflict, InvalidInput
from recall.rules import ReferenceScheme, required_text

REFERENCES = ReferenceScheme("INV", 4)  # INV-2026-0007, numbered within the UTC year
TITLE_MAX = 200
ROOT_CAUSE_MAX = 5000
FINDINGS_MAX = 20000
CONCLUSION_MAX = 20000
DESCRIPTION_MAX = 5000
OWNER_MAX = 200
NOTE_MAX = 5000
EVIDENCE_MAX = 20000
MEANING_MAX = 500  # a signature's meaning, as on recall approval and closure
PASSWORD_MAX = 1024
MAX_COMPLAINTS = 200  # complaints grouped at once
MAX_AFFECTED_BATCHES = 1000
CONTAINMENT_ACTION_MAX = 1000
MAX_CONTAINMENT = 50  # immediate actions listed on one investigation
RISK_FACTORS = ("severity", "occurrence", "detectability")
RISK_SCALE = range(1, 6)  # each factor scored 1 (least) to 5 (most)


class InvestigationStatus(enum.StrEnum):
    OPEN = "open"
    CONCLUDED = "concluded"


class InvestigationOrder(enum.StrEnum):
    """How a list of investigations is sorted; unscored ones come last by priority."""

    NEWEST = "-created"
    PRIORITY = "priority"  # lowest risk priority first
    PRIORITY_DESC = "-priority"  # highest risk priority first


class RootCauseCategory(enum.StrEnum):
    """The six Ms of an Ishikawa diagram."""

    MAN = "man"
    MACHINE = "machine"
    MATERIAL = "material"
    METHOD = "method"
    MEASUREMENT = "measurement"
    ENVIRONMENT = "environment"


class CapaKind(enum.StrEnum):
    CORRECTIVE = "corrective"
    PREVENTIVE = "preventive"


class CapaStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


INVESTIGATION_TRANSITIONS: dict[InvestigationStatus, frozenset[InvestigationStatus]] = {
    InvestigationStatus.OPEN: frozenset({InvestigationStatus.CONCLUDED}),
    InvestigationStatus.CONCLUDED: frozenset(),
}

CAPA_TRANSITIONS: dict[CapaStatus, frozenset[CapaStatus]] = {
    CapaStatus.OPEN: frozenset({CapaStatus.DONE}),
    # A done CAPA found ineffective by its effectiveness check is open again.
    CapaStatus.DONE: frozenset({CapaStatus.OPEN}),
}


class Unchanged(enum.Enum):
    """Marks a field a partial update leaves as it is (None means "clear it")."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


@dataclass(frozen=True)
class InvestigationChange:
    """What to change in an open investigation; a field left UNCHANGED stays as it is.

    None clears a text field; `affected_batch_ids` replaces the whole set; with `version`,
    a change made to a stale copy is refused.
    """

    root_cause_category: str | Unchanged | None = UNCHANGED
    root_cause: str | Unchanged | None = UNCHANGED
    findings: str | Unchanged | None = UNCHANGED
    affected_batch_ids: Sequence[int] | Unchanged = UNCHANGED
    risk: RiskScore | Unchanged = UNCHANGED
    containment: Sequence[ContainmentAction] | Unchanged = UNCHANGED
    version: int | None = None


@dataclass(frozen=True)
class CapaPlan:
    """A corrective or preventive action to take: what, who owns it, and by when."""

    kind: str
    description: str
    owner: str
    due_on: date


class RiskLevel(enum.StrEnum):
    """ICH Q9-style bands of the risk priority (severity x occurrence x detectability)."""

    LOW = "low"  # 1-12
    MEDIUM = "medium"  # 13-39
    HIGH = "high"  # 40-125


RISK_MEDIUM_FROM = 13
RISK_HIGH_FROM = 40


def risk_level(priority: int) -> RiskLevel:
    """The band of a risk priority: low up to 12, medium 13-39, high from 40."""
    if priority >= RISK_HIGH_FROM:
        return RiskLevel.HIGH
    if priority >= RISK_MEDIUM_FROM:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


@dataclass(frozen=True)
class RiskScore:
    """Scores as sent: each factor 1-5; one left out (None) is refused naming it."""

    severity: int | None = None
    occurrence: int | None = None
    detectability: int | None = None


@dataclass(frozen=True)
class Risk:
    """An investigation's ICH Q9 risk: three factors, their product and its band."""

    severity: int
    occurrence: int
    detectability: int
    priority: int
    level: str


def assess_risk(score: RiskScore) -> Risk:
    """The risk of three scores 1-5; InvalidInput naming `risk.<factor>` otherwise."""
    factors: list[int] = []
    for name in RISK_FACTORS:
        value = getattr(score, name)
        if value is None:
            raise InvalidInput(f"risk.{name}", "required, an integer from 1 to 5")
        if isinstance(value, bool) or not isinstance(value, int) or value not in RISK_SCALE:
            raise InvalidInput(f"risk.{name}", "an integer from 1 to 5")
        factors.append(value)
    severity, occurrence, detectability = factors
    priority = severity * occurrence * detectability
    return Risk(severity, occurrence, detectability, priority, risk_level(priority).value)


@dataclass(frozen=True)
class ContainmentAction:
    """An immediate action taken to contain the problem, and the day it was done."""

    action: str
    done_on: date | None = None


def check_containment(
    actions: Sequence[ContainmentAction], today: date
) -> tuple[ContainmentAction, ...]:
    """The containment list trimmed; InvalidInput naming `containment[i].action` or `.done_on`."""
    if len(actions) > MAX_CONTAINMENT:
        raise InvalidInput("containment", f"at most {MAX_CONTAINMENT} actions")
    checked = []
    for index, item in enumerate(actions):
        name = f"containment[{index}]"
        action = required_text(item.action, f"{name}.action", CONTAINMENT_ACTION_MAX)
        if item.done_on is not None and item.done_on > today:
            raise InvalidInput(
                f"{name}.done_on", f"must not be in the future (today is {today.isoformat()})"
            )
        checked.append(ContainmentAction(action, item.done_on))
    return tuple(checked)


def investigation_transition(current: str, target: str) -> InvestigationStatus:
    """The new status if the investigation may move to `target`; Conflict otherwise."""
    source, goal = InvestigationStatus(current), InvestigationStatus(target)
    if goal not in INVESTIGATION_TRANSITIONS[source]:
        raise Conflict(f"a {source.value} investigation cannot become {goal.value}")
    return goal


def capa_transition(current: str, target: str) -> CapaStatus:
    """The new status if the CAPA may move to `target`; Conflict otherwise."""
    source, goal = CapaStatus(current), CapaStatus(target)
    if goal not in CAPA_TRANSITIONS[source]:
        verb = "completed" if source is CapaStatus.DONE else source.value
        raise Conflict(f"the CAPA is already {verb}; it cannot become {goal.value}")
    return goal


def check_editable(status: str) -> None:
    """Root cause, findings and affected batches are frozen once the conclusion is drawn."""
    if InvestigationStatus(status) is InvestigationStatus.CONCLUDED:
        raise Conflict("the investigation is concluded; its record can no longer be changed")


def check_concludable(status: str, root_cause_category: str | None, root_cause: str | None) -> None:
    """Conflict saying what is missing before an investigation may be concluded."""
    investigation_transition(status, InvestigationStatus.CONCLUDED)
    missing = [
        name
        for name, value in (
            ("root_cause_category", root_cause_category),
            ("root_cause", root_cause),
        )
        if not value
    ]
    if missing:
        raise Conflict(f"set {' and '.join(missing)} before concluding the investigation")


def is_overdue(due_on: date, status: str, today: date) -> bool:
    """An open CAPA past its due date (dates in the installation's time zone)."""
    return status != CapaStatus.DONE and due_on < today


def check_due_on(due_on: date, today: date) -> date:
    if due_on < today:
        raise InvalidInput("due_on", f"must not be in the past (today is {today.isoformat()})")
    return due_on


def check_reopenable(status: str) -> CapaStatus:
    """An effectiveness check is recorded on a done CAPA only (Conflict otherwise); the
    status it goes back to when the check finds it ineffective."""
    if CapaStatus(status) is not CapaStatus.DONE:
        raise Conflict("the CAPA is not done yet; check its effectiveness once it is completed")
    return capa_transition(status, CapaStatus.OPEN)


def check_effectiveness_check_due_on(due_on: date | None, today: date) -> date | None:
    if due_on is not None and due_on <= today:
        raise InvalidInput(
            "effectiveness_check_due_on", f"must be after today ({today.isoformat()})"
        )
    return due_on


@dataclass(frozen=True)
class InvestigationComplaint:
    id: int
    reference: str
    status: str
    batch_id: int | None
    batch_no: str | None


@dataclass(frozen=True)
class AffectedBatch:
    id: int
    batch_no: str
    gtin: str
    product_name: str


@dataclass(frozen=True)
class SharedLot:
    material_lot_id: int
    lot_no: str
    material: str


@dataclass(frozen=True)
class SuggestedBatch:
    """A batch not yet named affected that used a material lot of a suspect batch."""

    id: int
    batch_no: str
    gtin: str
    product_name: str
    shared_lots: tuple[SharedLot, ...]


@dataclass(frozen=True)
class EffectivenessCheck:
    """A check of whether a done CAPA worked, with its evidence."""

    effective: bool
    evidence: str
    recorded_at: datetime
    recorded_by_name: str | None


@dataclass(frozen=True)
class ConclusionSignature:
    """The electronic signature of a conclusion: printed name, meaning, UTC time."""

    full_name: str
    meaning: str
    signed_at: datetime
    action: str
    record_hash: str


@dataclass(frozen=True)
class Capa:
    id: int
    investigation_id: int
    kind: str
    description: str
    owner: str
    due_on: date
    status: str
    overdue: bool
    completed_at: datetime | None
    completed_by: int | None
    completed_by_name: str | None
    completion_note: str | None
    effectiveness_check_due_on: date | None
    created_at: datetime
    version: int
    effectiveness: tuple[EffectivenessCheck, ...] = ()


@dataclass(frozen=True)
class InvestigationSummary:
    id: int
    reference: str
    title: str
    status: str
    root_cause_category: str | None
    recall_recommended: bool | None
    created_at: datetime
    concluded_at: datetime | None
    version: int
    risk: Risk | None = None


@dataclass(frozen=True)
class Investigation:
    id: int
    reference: str
    title: str
    status: str
    root_cause_category: str | None
    root_cause: str | None
    findings: str | None
    conclusion: str | None
    recall_recommended: bool | None
    concluded_at: datetime | None
    concluded_by: int | None
    concluded_by_name: str | None
    created_at: datetime
    created_by: int | None
    version: int
    complaints: tuple[InvestigationComplaint, ...]
    affected_batches: tuple[AffectedBatch, ...]
    suggested_batches: tuple[SuggestedBatch, ...]
    capas: tuple[Capa, ...]
    retain_until: date | None = None
    risk: Risk | None = None
    containment: tuple[ContainmentAction, ...] = ()
    signatures: tuple[ConclusionSignature, ...] = ()


@dataclass(frozen=True)
class InvestigationTally:
    """What a list shows beside an investigation: complaints grouped, CAPA open and overdue."""

    complaints: int
    capas_open: int
    capas_overdue: int


@dataclass(frozen=True)
class ComplaintToInvestigate:
    """A complaint triaged for investigation and not yet grouped under one."""

    id: int
    reference: str
    received_at: datetime
    product_name: str | None
    batch_no: str | None
    category: str | None
    severity: str | None
    description: str


@dataclass(frozen=True)
class ResultingRecall:
    """A recall proposed from an investigation."""

    id: int
    reference: str
    status: str

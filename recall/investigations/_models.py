"""Investigations and CAPA as the rest of the system sees them, and their rules (no I/O)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from recall.errors import Conflict, InvalidInput
from recall.rules import ReferenceScheme

REFERENCES = ReferenceScheme("INV", 4)  # INV-2026-0007, numbered within the UTC year
TITLE_MAX = 200
ROOT_CAUSE_MAX = 5000
FINDINGS_MAX = 20000
CONCLUSION_MAX = 20000
DESCRIPTION_MAX = 5000
OWNER_MAX = 200
NOTE_MAX = 5000
MAX_COMPLAINTS = 200  # complaints grouped at once
MAX_AFFECTED_BATCHES = 1000


class InvestigationStatus(enum.StrEnum):
    OPEN = "open"
    CONCLUDED = "concluded"


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
    CapaStatus.DONE: frozenset(),
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
    version: int | None = None


@dataclass(frozen=True)
class CapaPlan:
    """A corrective or preventive action to take: what, who owns it, and by when."""

    kind: str
    description: str
    owner: str
    due_on: date


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

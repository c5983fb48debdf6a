"""Complaints as the rest of the system sees them, and the rules they obey (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache

from recall.errors import Conflict, InvalidInput
from recall.gs1 import normalize_gtin, parse_scan
from recall.rules import ReferenceScheme, choice, text

REFERENCES = ReferenceScheme("CMP", 6)  # CMP-2026-000123, numbered within the UTC year
DUPLICATE_WINDOW_DAYS = 30
DESCRIPTION_MAX = 5000
NAME_MAX = 200
CONTACT_MAX = 200
BATCH_NO_MAX = 40  # the column's width; longer than GS1's 20 so odd (counterfeit) numbers still fit
BARCODE_MAX = 500
EXCERPT_LENGTH = 200
REASON_MAX = 5000
REPLY_MAX = 5000
RESOLUTION_MAX = 5000
UNTRIAGED = "untriaged"  # the trend bucket of complaints not yet categorised
TREND_MONTHS = 12


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"
    WEB = "web"
    DISTRIBUTOR = "distributor"
    AUTHORITY = "authority"
    OTHER = "other"


class ReporterKind(StrEnum):
    PATIENT = "patient"
    PHARMACIST = "pharmacist"
    PHYSICIAN = "physician"
    NURSE = "nurse"
    HOSPITAL = "hospital"
    PHARMACY = "pharmacy"
    DISTRIBUTOR = "distributor"
    AUTHORITY = "authority"
    OTHER = "other"


class ComplaintStatus(StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    UNDER_INVESTIGATION = "under_investigation"
    CLOSED = "closed"


class Category(StrEnum):
    QUALITY_DEFECT = "quality_defect"
    ADVERSE_EVENT = "adverse_event"
    COUNTERFEIT = "counterfeit"
    LACK_OF_EFFICACY = "lack_of_efficacy"
    PACKAGING = "packaging"
    OTHER = "other"


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


# The whole life cycle; intake only ever creates RECEIVED.
TRANSITIONS: dict[ComplaintStatus, frozenset[ComplaintStatus]] = {
    ComplaintStatus.RECEIVED: frozenset({ComplaintStatus.TRIAGED}),
    ComplaintStatus.TRIAGED: frozenset(
        {ComplaintStatus.UNDER_INVESTIGATION, ComplaintStatus.CLOSED}
    ),
    ComplaintStatus.UNDER_INVESTIGATION: frozenset({ComplaintStatus.CLOSED}),
    ComplaintStatus.CLOSED: frozenset(),
}


def transition(current: str, target: str) -> ComplaintStatus:
    """The new status if `current` may move to `target`; Conflict otherwise."""
    source, goal = ComplaintStatus(current), ComplaintStatus(target)
    if goal not in TRANSITIONS[source]:
        raise Conflict(f"a {source.value} complaint cannot become {goal.value}")
    return goal


@dataclass(frozen=True)
class Reporter:
    """Who told us: a patient, a pharmacist, a distributor, BPOM, …"""

    name: str
    kind: str
    organization: str | None = None
    contact: str | None = None


@dataclass(frozen=True)
class ComplaintIntake:
    """A complaint as told: how it came in, who told it, and the pack it is about."""

    channel: str
    reporter: Reporter
    description: str
    adverse_event: bool
    sample_available: bool
    gtin: str | None = None
    batch_no: str | None = None
    barcode: str | None = None
    # When it reached us, if not now (a letter read days after it arrived).
    received_at: datetime | None = None


@dataclass(frozen=True)
class Complaint:
    id: int
    reference: str
    status: str
    channel: str
    reporter: Reporter
    product_id: int | None
    product_name: str | None
    product_strength: str | None
    gtin: str | None
    batch_id: int | None
    batch_no: str | None
    expires_on: date | None
    serial: str | None
    barcode: str | None
    description: str
    adverse_event: bool
    sample_available: bool
    category: str | None
    severity: str | None
    received_at: datetime
    created_by: int | None
    version: int
    investigate: bool | None = None
    triage_reason: str | None = None
    pharmacovigilance: bool = False
    triaged_at: datetime | None = None
    field_alert_due_at: datetime | None = None
    investigation_id: int | None = None
    closed_at: datetime | None = None
    resolution: str | None = None
    replies: tuple[ComplaintReply, ...] = field(default=())
    # Read with one complaint only (SPEC Retention); lists leave it None.
    retain_until: date | None = None

    @property
    def batch_known(self) -> bool | None:
        """False flags a batch we never made (a possible counterfeit); None: no batch given."""
        if self.batch_no is None:
            return None
        return self.batch_id is not None


@dataclass(frozen=True)
class ComplaintReply:
    """What we told the complainant (21 CFR 211.198: the reply is part of the complaint file)."""

    text: str
    replied_at: datetime
    replied_by_name: str


@dataclass(frozen=True)
class PossibleDuplicate:
    id: int
    reference: str
    received_at: datetime
    status: str
    category: str | None
    description_excerpt: str


@dataclass(frozen=True)
class PackIdentity:
    """Product and batch as the complaint states them; `gtin_field` names who gave the GTIN."""

    gtin: str | None
    batch_no: str | None
    expires_on: date | None
    serial: str | None
    gtin_field: str
    nie: str | None = None  # a BPOM 2D barcode without a GTIN names the product by NIE


def check_batch_no(value: str, field: str = "batch_no") -> str:
    batch_no = value.strip()
    if not batch_no:
        raise InvalidInput(field, "must not be empty")
    if len(batch_no) > BATCH_NO_MAX or not batch_no.isprintable():
        raise InvalidInput(field, f"at most {BATCH_NO_MAX} printable characters")
    return batch_no


# Cached: complaints name the same few products and batches, and GS1 parsing is not cheap.
@lru_cache(maxsize=4096)
def identify_pack(gtin: str | None, batch_no: str | None, barcode: str | None) -> PackIdentity:
    """Merge a GS1 scan with the typed GTIN/batch; InvalidInput names the field that disagrees."""
    typed_gtin = normalize_gtin(gtin, field="gtin") if gtin and gtin.strip() else None
    typed_batch = check_batch_no(batch_no) if batch_no and batch_no.strip() else None
    if not (barcode and barcode.strip()):
        return PackIdentity(typed_gtin, typed_batch, None, None, gtin_field="gtin")
    if len(barcode) > BARCODE_MAX:
        raise InvalidInput("barcode", f"at most {BARCODE_MAX} characters")
    scan = parse_scan(barcode, field="barcode")
    if typed_gtin is not None and scan.gtin is not None and typed_gtin != scan.gtin:
        raise InvalidInput("gtin", f"{typed_gtin} does not match the barcode's GTIN {scan.gtin}")
    if typed_batch is not None and scan.batch_no is not None and typed_batch != scan.batch_no:
        raise InvalidInput(
            "batch_no", f"{typed_batch} does not match the barcode's batch {scan.batch_no}"
        )
    return PackIdentity(
        gtin=scan.gtin or typed_gtin,
        batch_no=scan.batch_no or typed_batch,
        expires_on=scan.expires_on,
        serial=scan.serial,
        gtin_field="barcode" if scan.gtin else "gtin",
        nie=None if scan.gtin else scan.nie,
    )


def excerpt(description: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of a description, cut at a word boundary when possible."""
    flat = " ".join(description.split())
    if len(flat) <= length:
        return flat
    cut = flat[: length - 1]
    head = cut.rsplit(" ", 1)[0] if " " in cut[length // 2 :] else cut
    return head + "…"


# Triage, reply and close ------------------------------------------------------------


@dataclass(frozen=True)
class Triage:
    """QA's decision on a received complaint."""

    category: Category
    severity: Severity
    investigate: bool
    reason: str | None
    pharmacovigilance: bool


@dataclass(frozen=True)
class TriageRequest:
    """What QA decides at triage, as given; decide_triage checks it."""

    category: str
    severity: str
    investigate: bool
    reason: str | None = None


def is_adverse_event(category: str | None, adverse_event: bool) -> bool:
    """Pharmacovigilance must hear of it when either QA or the reporter says it harmed someone."""
    return adverse_event or category == Category.ADVERSE_EVENT


def decide_triage(
    category: str, severity: str, investigate: bool, reason: str | None, *, adverse_event: bool
) -> Triage:
    """A valid triage decision; a reason is required when no investigation is made (211.198)."""
    chosen = choice(Category, category, "category")
    graded = choice(Severity, severity, "severity")
    why = text(reason, "reason", REASON_MAX, required=not investigate)
    return Triage(
        category=chosen,
        severity=graded,
        investigate=bool(investigate),
        reason=why,
        pharmacovigilance=is_adverse_event(chosen, adverse_event),
    )


def earliest(deadlines: Iterable[datetime | None]) -> datetime | None:
    """The soonest of the deadlines that apply; None when none does."""
    due = [deadline for deadline in deadlines if deadline is not None]
    return min(due) if due else None


def check_reply_allowed(status: str) -> None:
    """Replies are part of an open complaint file; a closed file is not written to."""
    if ComplaintStatus(status) is ComplaintStatus.CLOSED:
        raise Conflict("a closed complaint takes no more replies")


def check_closable(
    status: str, investigate: bool | None, investigation_concluded: bool
) -> ComplaintStatus:
    """CLOSED if the complaint may close now; Conflict saying what must happen first otherwise."""
    current = ComplaintStatus(status)
    if current is ComplaintStatus.RECEIVED:
        raise Conflict("a received complaint must be triaged before it is closed")
    if current is ComplaintStatus.TRIAGED and investigate:
        raise Conflict(
            "triage decided to investigate: attach the complaint to an investigation "
            "and close it once that investigation is concluded"
        )
    if current is ComplaintStatus.UNDER_INVESTIGATION and not investigation_concluded:
        raise Conflict("the complaint's investigation is not concluded yet")
    return transition(current, ComplaintStatus.CLOSED)


# Trends ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthCount:
    month: str  # YYYY-MM (UTC)
    category: str
    product_id: int | None
    product: str | None
    count: int


@dataclass(frozen=True)
class BatchCount:
    batch_no: str
    gtin: str | None
    product_id: int | None
    product: str | None
    count: int


@dataclass(frozen=True)
class ComplaintTrends:
    by_month: list[MonthCount]
    by_batch: list[BatchCount]
    start: date
    end: date


def trend_window(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The days to count, both ends included; by default the twelve months up to today."""
    last = end or today
    if start is None:
        months_back = last.year * 12 + last.month - 1 - (TREND_MONTHS - 1)
        start = date(months_back // 12, months_back % 12 + 1, 1) if months_back >= 12 else date.min
    if start > last:
        raise InvalidInput("from", f"{start.isoformat()} is after to ({last.isoformat()})")
    return start, last

"""Complaints as the rest of the system sees them, and the rules they obey (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TypeVar

from recall.errors import Conflict, InvalidInput
from recall.gs1 import normalize_gtin, parse_scan

REFERENCE_PREFIX = "CMP"
DUPLICATE_WINDOW_DAYS = 30
DESCRIPTION_MAX = 5000
NAME_MAX = 200
CONTACT_MAX = 200
BATCH_NO_MAX = 40  # the column's width; longer than GS1's 20 so odd (counterfeit) numbers still fit
BARCODE_MAX = 500
EXCERPT_LENGTH = 200


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

    @property
    def batch_known(self) -> bool | None:
        """False flags a batch we never made (a possible counterfeit); None: no batch given."""
        if self.batch_no is None:
            return None
        return self.batch_id is not None


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


E = TypeVar("E", bound=StrEnum)


def choice(kind: type[E], value: str, field: str) -> E:
    """`value` as a member of `kind`; InvalidInput naming `field` and the choices otherwise."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(field, f"one of {allowed}") from None


def text(value: str | None, field: str, max_length: int, *, required: bool = True) -> str | None:
    """Trimmed text within `max_length`; empty optional text becomes None."""
    trimmed = (value or "").strip()
    if not trimmed:
        if required:
            raise InvalidInput(field, "must not be empty")
        return None
    if len(trimmed) > max_length:
        raise InvalidInput(field, f"at most {max_length} characters")
    return trimmed


def check_batch_no(value: str, field: str = "batch_no") -> str:
    batch_no = value.strip()
    if not batch_no:
        raise InvalidInput(field, "must not be empty")
    if len(batch_no) > BATCH_NO_MAX or not batch_no.isprintable():
        raise InvalidInput(field, f"at most {BATCH_NO_MAX} printable characters")
    return batch_no


def identify_pack(gtin: str | None, batch_no: str | None, barcode: str | None) -> PackIdentity:
    """Merge a GS1 scan with the typed GTIN/batch; InvalidInput names the field that disagrees."""
    typed_gtin = normalize_gtin(gtin, field="gtin") if gtin and gtin.strip() else None
    typed_batch = check_batch_no(batch_no) if batch_no and batch_no.strip() else None
    if not (barcode and barcode.strip()):
        return PackIdentity(typed_gtin, typed_batch, None, None, gtin_field="gtin")
    if len(barcode) > BARCODE_MAX:
        raise InvalidInput("barcode", f"at most {BARCODE_MAX} characters")
    scan = parse_scan(barcode, field="barcode")
    if typed_gtin is not None and typed_gtin != scan.gtin:
        raise InvalidInput("gtin", f"{typed_gtin} does not match the barcode's GTIN {scan.gtin}")
    if typed_batch is not None and scan.batch_no is not None and typed_batch != scan.batch_no:
        raise InvalidInput(
            "batch_no", f"{typed_batch} does not match the barcode's batch {scan.batch_no}"
        )
    return PackIdentity(
        gtin=scan.gtin,
        batch_no=scan.batch_no or typed_batch,
        expires_on=scan.expires_on,
        serial=scan.serial,
        gtin_field="barcode",
    )


def counter_name(received_at: datetime) -> str:
    """The yearly counter behind references: the year of receipt in UTC."""
    return f"{REFERENCE_PREFIX}-{received_at.astimezone(UTC).year}"


def format_reference(received_at: datetime, number: int) -> str:
    """`CMP-YYYY-NNNNNN`, e.g. CMP-2026-000123."""
    if number < 1:
        raise ValueError("reference numbers start at 1")
    return f"{counter_name(received_at)}-{number:06d}"


def excerpt(description: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of a description, cut at a word boundary when possible."""
    flat = " ".join(description.split())
    if len(flat) <= length:
        return flat
    cut = flat[: length - 1]
    head = cut.rsplit(" ", 1)[0] if " " in cut[length // 2 :] else cut
    return head + "…"

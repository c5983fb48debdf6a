"""Master data as the rest of the system sees it, and the rules it must obey."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from recall.errors import InvalidInput
from recall.rules import check_http_url, has_control_characters


class ConsigneeKind(StrEnum):
    PBF = "pbf"
    HOSPITAL = "hospital"
    PHARMACY = "pharmacy"
    CLINIC = "clinic"
    DRUGSTORE = "drugstore"
    OTHER = "other"


# BPOM drug registration (NIE), e.g. DKL2012345601A1: D/G, K/T/B/N/P, L/I/E/X, 10 digits, A1.
# Traditional medicines and supplements: "POM TR…", "POM SD…" and similar.
NIE_PATTERN = re.compile(r"(?:[DG][KTBNP][LIEX]\d{10}[A-Z]\d|(?:POM )?[A-Z]{2}\d{9,12})", re.ASCII)
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
BATCH_NO_PATTERN = re.compile(r"[!-~]{1,20}")  # GS1 AI (10): up to 20 printable characters
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL_LENGTH = 254


def normalize_nie(value: str, field: str = "nie") -> str:
    nie = " ".join(value.upper().split())
    if not NIE_PATTERN.fullmatch(nie):
        raise InvalidInput(
            field, "not a BPOM registration number (e.g. DKL2012345601A1 or POM TR123456789)"
        )
    return nie


def check_code(value: str, field: str) -> str:
    code = value.strip()
    if not CODE_PATTERN.fullmatch(code):
        raise InvalidInput(
            field, "1-40 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return code


def check_batch_no(value: str, field: str = "batch_no") -> str:
    batch_no = value.strip()
    if not BATCH_NO_PATTERN.fullmatch(batch_no):
        raise InvalidInput(field, "1-20 printable characters without spaces (GS1 AI 10)")
    return batch_no


def check_batch_dates(manufactured_on: date, expires_on: date) -> None:
    if expires_on <= manufactured_on:
        raise InvalidInput("expires_on", "must be after manufactured_on")


# Limits of the columns (PostgreSQL integer, numeric(14, 3)) so no value overflows them.
MAX_COUNT = 2_147_483_647
MAX_AMOUNT = Decimal("99999999999.999")
AMOUNT_PLACES = 3


def check_positive(value: int | Decimal, field: str) -> None:
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidInput(field, "must be a number")
    if value <= 0:
        raise InvalidInput(field, "must be greater than zero")


def check_count(value: int, field: str) -> int:
    """A whole number of units (packs, bottles): 1 up to the column's limit."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, "must be a whole number")
    check_positive(value, field)
    if value > MAX_COUNT:
        raise InvalidInput(field, f"at most {MAX_COUNT}")
    return value


def check_amount(value: Decimal | int | float | str, field: str) -> Decimal:
    """A positive amount of material with at most three decimal places."""
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise InvalidInput(field, "must be a number") from None
    check_positive(amount, field)
    if amount > MAX_AMOUNT:
        raise InvalidInput(field, f"at most {MAX_AMOUNT}")
    if amount != amount.quantize(Decimal(1).scaleb(-AMOUNT_PLACES)):
        raise InvalidInput(field, f"at most {AMOUNT_PLACES} decimal places")
    return amount


def check_webhook_url(value: str | None, field: str = "webhook_url") -> str | None:
    """An http(s) URL for webhooks, trimmed; None when blank (syntax only)."""
    return check_http_url(value, field)


def check_email(value: str | None) -> str | None:
    """An e-mail address, trimmed; None when blank."""
    if not value or not value.strip():
        return None
    email = value.strip()
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidInput("email", f"at most {MAX_EMAIL_LENGTH} characters")
    if not EMAIL_PATTERN.fullmatch(email) or has_control_characters(email):
        raise InvalidInput("email", "not an e-mail address")
    return email


@dataclass(frozen=True)
class Product:
    id: int
    gtin: str
    nie: str
    name: str
    strength: str
    dosage_form: str


class BatchStatus(StrEnum):
    RELEASED = "released"
    ON_HOLD = "on_hold"
    RECALLED = "recalled"


def shipment_refused(status: str, held_on: date | None, shipped_on: date) -> bool:
    """Whether a shipment of a batch in `status`, held since the plant day `held_on`, dated
    `shipped_on` is refused: on or after the hold's day. Earlier records (distribution that
    happened before the hold) are accepted."""
    if status == BatchStatus.RELEASED or held_on is None:
        return False
    return shipped_on >= held_on


@dataclass(frozen=True)
class Batch:
    id: int
    product_id: int
    gtin: str
    product_name: str
    batch_no: str
    manufactured_on: date
    expires_on: date
    quantity_produced: int
    status: str = "released"  # released | on_hold | recalled
    # When the hold (or the recall) began, and why; None while released.
    held_at: datetime | None = None
    status_reason: str | None = None


@dataclass(frozen=True)
class BatchView:
    """A batch as recalls, traces and notices list it: number, product and expiry."""

    id: int
    batch_no: str
    gtin: str
    product_name: str
    expires_on: date
    status: str = "released"


@dataclass(frozen=True)
class MaterialLot:
    id: int
    material: str
    lot_no: str
    supplier: str


@dataclass(frozen=True)
class BatchMaterial:
    id: int
    batch_id: int
    batch_no: str
    material_lot_id: int
    quantity: Decimal
    material: str = ""
    lot_no: str = ""
    supplier: str = ""


@dataclass(frozen=True)
class Consignee:
    id: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    email: str | None
    phone: str | None
    after_hours_phone: str | None
    webhook_url: str | None
    province: str | None
    country: str  # ISO 3166 alpha-2


@dataclass(frozen=True)
class Shipment:
    id: int
    batch_id: int
    gtin: str
    batch_no: str
    consignee_code: str
    from_consignee_code: str | None
    quantity: int
    shipped_on: date

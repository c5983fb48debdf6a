"""Master data as the rest of the system sees it, and the rules it must obey."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from recall.errors import InvalidInput


class ConsigneeKind(StrEnum):
    PBF = "pbf"
    HOSPITAL = "hospital"
    PHARMACY = "pharmacy"
    CLINIC = "clinic"
    DRUGSTORE = "drugstore"
    OTHER = "other"


# BPOM drug registration (NIE), e.g. DKL2012345601A1: D/G, K/T/B/N/P, L/I/E/X, 10 digits, A1.
# Traditional medicines and supplements: "POM TR…", "POM SD…" and similar.
NIE_PATTERN = re.compile(r"^(?:[DG][KTBNP][LIEX]\d{10}[A-Z]\d|(?:POM )?[A-Z]{2}\d{9,12})$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
BATCH_NO_PATTERN = re.compile(r"^[!-~]{1,20}$")  # GS1 AI (10): up to 20 printable characters


def normalize_nie(value: str) -> str:
    nie = " ".join(value.upper().split())
    if not NIE_PATTERN.match(nie):
        raise InvalidInput(
            "nie", "not a BPOM registration number (e.g. DKL2012345601A1 or POM TR123456789)"
        )
    return nie


def check_code(value: str, field: str) -> str:
    code = value.strip()
    if not CODE_PATTERN.match(code):
        raise InvalidInput(
            field, "1-40 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return code


def check_batch_no(value: str, field: str = "batch_no") -> str:
    batch_no = value.strip()
    if not BATCH_NO_PATTERN.match(batch_no):
        raise InvalidInput(field, "1-20 printable characters without spaces (GS1 AI 10)")
    return batch_no


def check_batch_dates(manufactured_on: date, expires_on: date) -> None:
    if expires_on <= manufactured_on:
        raise InvalidInput("expires_on", "must be after manufactured_on")


def check_positive(value: int | Decimal, field: str) -> None:
    if value <= 0:
        raise InvalidInput(field, "must be greater than zero")


@dataclass(frozen=True)
class Product:
    id: int
    gtin: str
    nie: str
    name: str
    strength: str
    dosage_form: str


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

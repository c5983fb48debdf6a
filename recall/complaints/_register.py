"""Reading the complaint register: a filtered list, what a scan names, and stale forms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from recall import clock, masterdata
from recall.complaints._models import (
    Category,
    Complaint,
    ComplaintStatus,
    PackIdentity,
    check_batch_no,
    identify_pack,
)
from recall.complaints._obligations import obligation_condition
from recall.complaints._service import (
    SEARCH_MAX,
    _changed_meanwhile,
    _no_nul,
    _search,
    get_complaint,
    page_of_complaints,
)
from recall.errors import InvalidInput
from recall.gs1 import normalize_gtin
from recall.rules import MAX_ID, choice

EXPORT_CHUNK = 500


@dataclass(frozen=True)
class RegisterFilter:
    """Which complaints to list; days are the plant's calendar days in `time_zone`."""

    q: str | None = None
    status: str | None = None
    category: str | None = None
    gtin: str | None = None
    batch_no: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    adverse_event_only: bool = False
    time_zone: str = "UTC"
    # "due" (an unsubmitted report due within a day or past due) or "overdue" (past due).
    obligation: str | None = None


def _start_of(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC)


def _conditions(selection: RegisterFilter) -> list[tuple[str, list[Any]]]:
    where: list[tuple[str, list[Any]]] = []
    if selection.status:
        status = choice(ComplaintStatus, selection.status, "status").value
        where.append(("complaint.status = {}", [status]))
    if selection.category:
        category = choice(Category, selection.category, "category").value
        where.append(("complaint.category = {}", [category]))
    if selection.gtin and selection.gtin.strip():
        where.append(("complaint.gtin = {}", [normalize_gtin(selection.gtin)]))
    if selection.batch_no and selection.batch_no.strip():
        _no_nul(selection.batch_no, "batch_no")
        where.append(("complaint.batch_no = {}", [check_batch_no(selection.batch_no)]))
    if selection.adverse_event_only:
        # Flagged by the reporter or by QA's triage: what pharmacovigilance must see.
        where.append(("complaint.pharmacovigilance = {}", [True]))
    if selection.obligation:
        where.append(obligation_condition(selection.obligation, clock.now().astimezone(UTC)))
    first, last = selection.received_from, selection.received_to
    if first and last and first > last:
        raise InvalidInput("received_from", f"{first.isoformat()} is after {last.isoformat()}")
    if first:
        where.append(("complaint.received_at >= {}", [_start_of(first, selection.time_zone)]))
    if last and last < date.max:
        before = _start_of(last + timedelta(days=1), selection.time_zone)
        where.append(("complaint.received_at < {}", [before]))
    if selection.q and selection.q.strip():
        _no_nul(selection.q, "q")
        if len(selection.q.strip()) > SEARCH_MAX:
            raise InvalidInput("q", f"at most {SEARCH_MAX} characters")
        where.append(_search(selection.q.strip()))
    return where


async def complaint_register(
    selection: RegisterFilter, limit: int = 50, offset: int = 0
) -> tuple[list[Complaint], int]:
    """Complaints matching `selection`, newest first, and how many match in all."""
    if offset > MAX_ID:
        raise InvalidInput("offset", f"at most {MAX_ID}")
    return await page_of_complaints(_conditions(selection), limit, offset)


async def whole_register(selection: RegisterFilter) -> AsyncIterator[Complaint]:
    """Every complaint matching `selection`, newest first, read a chunk at a time."""
    offset = 0
    while True:
        chunk, _total = await complaint_register(selection, EXPORT_CHUNK, offset)
        for complaint in chunk:
            yield complaint
        if len(chunk) < EXPORT_CHUNK:
            return
        offset += EXPORT_CHUNK


@dataclass(frozen=True)
class ScanPreview:
    """What a pack's barcode names, checked against master data, before a complaint is logged."""

    gtin: str
    product: masterdata.Product
    batch_no: str | None
    batch: masterdata.Batch | None
    expires_on: date | None
    serial: str | None

    @property
    def batch_known(self) -> bool | None:
        """False: a batch number we never made (log it anyway: maybe a counterfeit)."""
        return None if self.batch_no is None else self.batch is not None


async def product_of_pack(pack: PackIdentity) -> masterdata.Product | None:
    """The product a complaint names: by GTIN, else by the NIE of a BPOM 2D barcode."""
    if pack.nie is None:
        return (
            await masterdata.product_by_gtin(pack.gtin, field=pack.gtin_field)
            if pack.gtin
            else None
        )
    if pack.batch_no is None:
        raise InvalidInput("barcode", "the barcode has no batch (AI 10)")
    product = await masterdata.product_by_nie(pack.nie, pack.batch_no, field="barcode")
    if pack.gtin is not None and pack.gtin != product.gtin:
        raise InvalidInput("gtin", f"{pack.gtin} does not match the barcode's NIE {pack.nie}")
    return product


async def preview_scan(barcode: str) -> ScanPreview:
    """Read a GS1 scan as logging a complaint would; InvalidInput names `barcode`."""
    _no_nul(barcode, "barcode")
    if not barcode.strip():
        raise InvalidInput("barcode", "scan or type the pack's barcode")
    pack = identify_pack(None, None, barcode)
    product = await product_of_pack(pack)
    assert product is not None  # a scan without a GTIN or an NIE is refused by identify_pack
    batch = await masterdata.find_batch(product.gtin, pack.batch_no) if pack.batch_no else None
    return ScanPreview(
        gtin=product.gtin,
        product=product,
        batch_no=pack.batch_no,
        batch=batch,
        expires_on=pack.expires_on or (batch.expires_on if batch else None),
        serial=pack.serial,
    )


async def unchanged_complaint(complaint_id: int, version: int) -> Complaint:
    """The complaint if still at `version` (the one a form was shown with); Conflict otherwise."""
    complaint = await get_complaint(complaint_id)
    if complaint.version != version:
        raise _changed_meanwhile(complaint)
    return complaint


__all__ = [
    "RegisterFilter",
    "ScanPreview",
    "complaint_register",
    "preview_scan",
    "unchanged_complaint",
    "whole_register",
]

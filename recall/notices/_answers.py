"""A consignee's answers to its notice: stock on hand per batch, and returns.

No figure may exceed what the consignee received: per batch, stock on hand at most the
units received (quarantined at most on hand), and returns (quantities or scanned packs,
over every post) plus destructions on site at most the units received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from recall import audit, clock, db, masterdata
from recall.actors import Actor
from recall.errors import InvalidInput
from recall.gs1 import ScannedPack, parse_scan
from recall.notices._consignee import (
    ConsigneeNotice,
    _check_batches_once,
    _check_quantity,
    _consignee_of,
    _Line,
    _line_of,
    _mark_responded,
    _notice_lines,
    _once,
    _open_notice,
    _own_notice,
)
from recall.notices._idempotency import IdempotencyKey, StoredAnswer


@dataclass(frozen=True)
class StockLine:
    """What the consignee still holds of one batch, and how much of it is in quarantine."""

    batch_no: str
    quantity_on_hand: int
    quarantined: int


@dataclass(frozen=True)
class ReturnLine:
    batch_no: str
    quantity: int


@dataclass(frozen=True)
class StockReport:
    """A consignee's report of what it still holds, per batch."""

    lines: tuple[StockLine, ...]


@dataclass(frozen=True)
class StockReturn:
    """Packs sent back: quantities per batch or scanned GS1 barcodes, exactly one of them."""

    lines: tuple[ReturnLine, ...] | None = None
    scans: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DuplicateScan:
    barcode: str
    serial: str | None


@dataclass(frozen=True)
class ReturnsRecorded(ConsigneeNotice):
    """The notice after recording returns, with the scans that repeated a serial."""

    duplicates: tuple[DuplicateScan, ...] = ()


async def report_stock(
    actor: Actor, notice_id: int, report: StockReport, key: IdempotencyKey | None = None
) -> ConsigneeNotice | StoredAnswer:
    """Record what the consignee still holds per batch (the latest report wins).

    Honours an Idempotency-Key like acknowledge_notice.
    """
    consignee_id = _consignee_of(actor)
    lines = report.lines
    _check_batches_once([line.batch_no for line in lines])
    for index, line in enumerate(lines):
        _check_quantity(f"lines[{index}].quantity_on_hand", line.quantity_on_hand)
        _check_quantity(f"lines[{index}].quarantined", line.quarantined)
        if line.quarantined > line.quantity_on_hand:
            raise InvalidInput(f"lines[{index}].quarantined", "must not exceed quantity_on_hand")
    return await _once(actor, key, lambda: _report_stock(actor, consignee_id, notice_id, lines))


async def _report_stock(
    actor: Actor, consignee_id: int, notice_id: int, reported: Sequence[StockLine]
) -> ConsigneeNotice:
    row = await _open_notice(consignee_id, notice_id)
    lines = await _notice_lines(notice_id)
    targets = [
        (_line_of(lines, line.batch_no, f"lines[{index}].batch_no"), line)
        for index, line in enumerate(reported)
    ]
    for index, (target, line) in enumerate(targets):
        if line.quantity_on_hand > target.quantity_distributed:
            # A fixed text, so the portal shows it in the reader's language.
            raise InvalidInput(
                f"lines[{index}].quantity_on_hand", "must not exceed the quantity received"
            )
    now = clock.now()
    new = await _mark_responded(notice_id, row, now)
    old_stock: dict[str, Any] = {}
    new_stock: dict[str, Any] = {}
    for target, line in targets:
        await db.fetch(
            "UPDATE notice_line SET quantity_on_hand = {}, quantity_quarantined = {}, "
            "stock_reported_at = {} WHERE id = {}",
            line.quantity_on_hand,
            line.quarantined,
            now,
            target.id,
        )
        old_stock[target.batch_no] = {
            "quantity_on_hand": target.quantity_on_hand,
            "quarantined": target.quantity_quarantined,
        }
        new_stock[target.batch_no] = {
            "quantity_on_hand": line.quantity_on_hand,
            "quarantined": line.quarantined,
        }
    await audit.record(
        actor,
        audit.Change(
            "notice",
            notice_id,
            "stock_reported",
            old={"status": row["status"], "stock": old_stock},
            new={**new, "stock": new_stock},
        ),
    )
    return await _own_notice(consignee_id, notice_id)


async def record_returns(
    actor: Actor, notice_id: int, returned: StockReturn, key: IdempotencyKey | None = None
) -> ReturnsRecorded | StoredAnswer:
    """Add returned quantities, given as lines or as scanned GS1 barcodes (exactly one of them).

    A serial scanned again for the same notice and batch is kept, flagged as a duplicate,
    and not counted. Honours an Idempotency-Key like acknowledge_notice.
    """
    consignee_id = _consignee_of(actor)
    lines, scans = returned.lines, returned.scans
    if (lines is None) == (scans is None):
        raise InvalidInput("lines", "give either lines or scans, not both or neither")
    packs: list[tuple[str, ScannedPack]] = []
    if lines is not None:
        _check_batches_once([line.batch_no for line in lines])
        for index, line in enumerate(lines):
            _check_quantity(f"lines[{index}].quantity", line.quantity, positive=True)
    else:
        if not scans:
            raise InvalidInput("scans", "at least one scan is required")
        for index, barcode in enumerate(scans or ()):
            pack = parse_scan(barcode, field=f"scans[{index}]")
            if pack.batch_no is None:
                raise InvalidInput(f"scans[{index}]", "the barcode has no batch (AI 10)")
            if pack.gtin is None and pack.nie is not None:
                product = await masterdata.product_by_nie(
                    pack.nie, pack.batch_no, field=f"scans[{index}]"
                )
                pack = replace(pack, gtin=product.gtin)
            packs.append((barcode, pack))
    return await _once(
        actor,
        key,
        lambda: _record_returns(actor, consignee_id, notice_id, lines or (), packs),
    )


async def _returnable(notice_id: int, lines: list[_Line]) -> dict[int, int]:
    """Per line, what may still be returned: received less returned and destroyed on site.

    Read after the notice row is held, so two clerks at once cannot both use the same room.
    """
    destroyed = {
        int(row["batch"]): int(row["quantity"])
        for row in await db.fetch(
            "SELECT batch, SUM(quantity) AS quantity FROM destruction WHERE notice = {} "
            "GROUP BY batch",
            notice_id,
        )
    }
    return {
        line.id: line.quantity_distributed - line.quantity_returned - destroyed.get(line.batch, 0)
        for line in lines
    }


def _check_room(field: str, line: _Line, room: dict[int, int], quantity: int) -> None:
    """Returns of a batch, with what was returned and destroyed before, fit in what came."""
    if quantity > room[line.id]:
        raise InvalidInput(
            field, "with what was returned and destroyed before, more than the quantity received"
        )


async def _record_returns(
    actor: Actor,
    consignee_id: int,
    notice_id: int,
    returned: Sequence[ReturnLine],
    packs: list[tuple[str, ScannedPack]],
) -> ReturnsRecorded:
    row = await _open_notice(consignee_id, notice_id)
    lines = await _notice_lines(notice_id)
    room = await _returnable(notice_id, lines)
    added: dict[int, int] = {}
    for index, line in enumerate(returned):
        target = _line_of(lines, line.batch_no, f"lines[{index}].batch_no")
        added[target.id] = line.quantity
        _check_room(f"lines[{index}].quantity", target, room, line.quantity)
    scanned: list[tuple[_Line, str, ScannedPack, bool]] = []
    duplicates: list[DuplicateScan] = []
    if packs:
        by_pack = {(line.gtin.zfill(14), line.batch_no): line for line in lines}
        seen = {
            (int(scan["batch"]), scan["serial"])
            for scan in await db.fetch(
                "SELECT batch, serial FROM return_scan WHERE notice = {} AND serial IS NOT NULL",
                notice_id,
            )
        }
        for index, (barcode, pack) in enumerate(packs):
            line_scanned = by_pack.get((pack.gtin or "", pack.batch_no or ""))
            if line_scanned is None:
                raise InvalidInput(
                    f"scans[{index}]", f"batch {pack.batch_no} of {pack.gtin} is not in this notice"
                )
            duplicate = pack.serial is not None and (line_scanned.batch, pack.serial) in seen
            if pack.serial is not None:
                seen.add((line_scanned.batch, pack.serial))
            if duplicate:
                duplicates.append(DuplicateScan(barcode, pack.serial))
            else:
                added[line_scanned.id] = added.get(line_scanned.id, 0) + 1
                _check_room(f"scans[{index}]", line_scanned, room, added[line_scanned.id])
            scanned.append((line_scanned, barcode, pack, duplicate))
    now = clock.now()
    new = await _mark_responded(notice_id, row, now)
    for line_id, quantity in added.items():
        await db.fetch(
            "UPDATE notice_line SET quantity_returned = quantity_returned + {} WHERE id = {}",
            quantity,
            line_id,
        )
    for target, barcode, pack, duplicate in scanned:
        await db.fetch(
            "INSERT INTO return_scan (notice, batch, serial, barcode, duplicate, scanned_at) "
            "VALUES ({}, {}, {}, {}, {}, {})",
            notice_id,
            target.batch,
            pack.serial,
            barcode,
            duplicate,
            now,
        )
    by_id = {line.id: line for line in lines}
    await audit.record(
        actor,
        audit.Change(
            "notice",
            notice_id,
            "returns_recorded",
            old={"status": row["status"]},
            new={
                **new,
                "returned": {by_id[line_id].batch_no: n for line_id, n in added.items()},
                "scans": len(scanned),
                "duplicates": len(duplicates),
            },
        ),
    )
    notice = await _own_notice(consignee_id, notice_id)
    shown = {field.name: getattr(notice, field.name) for field in fields(notice)}
    return ReturnsRecorded(**shown, duplicates=tuple(duplicates))


async def hold_consignee_notice(recall_id: int, consignee_code: str) -> None:
    """Hold the consignee's notice of the recall until the transaction ends.

    Its returns hold it too, so a return and a destruction on site at the same moment
    cannot both count the same units.
    """
    await db.fetch(
        "UPDATE notice SET version = version WHERE recall = {} AND consignee IN "
        "(SELECT id FROM consignee WHERE code = {})",
        recall_id,
        consignee_code,
    )

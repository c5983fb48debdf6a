"""Distribution records: shipments recorded one by one or imported in bulk from CSV.

Both paths share one set of rules (`_resolve`): the batch and the consignee exist, the
quantity is positive, the date lies between the batch's manufacture and today, and a
sender (a consignee passing units on) has itself received that batch before.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from recall import audit, clock, db, outbox
from recall.actors import Actor
from recall.errors import InvalidInput
from recall.gs1 import normalize_gtin
from recall.masterdata._batch_status import LATE_SHIPMENTS_JOB, held_on, refusal, refused_error
from recall.masterdata._models import (
    BatchStatus,
    Shipment,
    check_batch_no,
    check_code,
    check_count,
    shipment_refused,
)
from recall.masterdata._shipment_lines import (
    MAX_ERRORS,
    Draft,
    FileReader,
    LineError,
    Problem,
    Problems,
    line_count,
)
from recall.rules import is_valid_id

INSERT_COLUMNS = ("batch", "consignee", "sender", "quantity", "shipped_on", "created_at")


class ImportProgress(Protocol):
    """Told how a long import goes, so people can watch it (all optional to implement well)."""

    async def checked(self, lines: int, total: int) -> None:
        """`lines` of the file's `total` lines are read; called between chunks, outside any
        transaction (on SQLite the write lock is not held yet)."""

    async def writing(self) -> None:
        """Every line is good; the write transaction is about to start."""

    async def written(self, imported: int) -> None:
        """Called inside the write transaction, so what it writes commits with the shipments."""


@dataclass(frozen=True)
class ImportResult:
    """How many shipments an import added, or the problems that stopped it (then 0): the
    first `MAX_ERRORS` by line in `errors`, all of them counted in `error_count`."""

    imported: int
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0


@dataclass(frozen=True)
class _Row:
    """A shipment ready to insert, keyed by ids."""

    batch_id: int
    consignee_id: int
    sender_id: int | None
    quantity: int
    shipped_on: date


@dataclass(frozen=True)
class _Batch:
    id: int
    gtin: str
    batch_no: str
    manufactured_on: date
    status: str
    held_on: date | None  # the plant day its hold (or recall) began


# Lookups -------------------------------------------------------------------------


async def _products_and_batches(
    gtins: Iterable[str],
) -> tuple[set[str], dict[tuple[str, str], _Batch]]:
    """Known GTINs among `gtins` and their batches keyed by (gtin, batch_no): one query."""
    rows = await db.fetch_in(
        "SELECT p.gtin AS gtin, b.id AS id, b.batch_no AS batch_no, "
        "b.manufactured_on AS manufactured_on, b.status AS status, b.held_at AS held_at "
        "FROM product p LEFT JOIN batch b ON b.product = p.id WHERE p.gtin IN (*)",
        sorted(set(gtins)),
    )
    known = {row["gtin"] for row in rows}
    batches = {
        (row["gtin"], row["batch_no"]): _Batch(
            row["id"],
            row["gtin"],
            row["batch_no"],
            db.as_date(row["manufactured_on"]),
            row["status"],
            held_on(db.as_utc(row["held_at"]) if row["held_at"] else None),
        )
        for row in rows
        if row["id"] is not None
    }
    return known, batches


async def _consignee_ids(codes: Iterable[str]) -> dict[str, int]:
    rows = await db.fetch_in("SELECT id, code FROM consignee WHERE code IN (*)", sorted(set(codes)))
    return {row["code"]: row["id"] for row in rows}


async def _receipts(consignee_ids: Iterable[int]) -> set[tuple[int, int]]:
    """(batch, consignee) pairs already on record for these consignees."""
    rows = await db.fetch_in(
        "SELECT DISTINCT batch, consignee FROM shipment WHERE consignee IN (*)",
        sorted(set(consignee_ids)),
    )
    return {(row["batch"], row["consignee"]) for row in rows}


# Rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Known:
    """What the database knows about the GTINs, batches and consignees a set of drafts names."""

    gtins: set[str]
    batches: dict[tuple[str, str], _Batch]
    consignees: dict[str, int]
    received: set[tuple[int, int]]
    latest: date


async def _known(drafts: Sequence[Draft]) -> _Known:
    known_gtins, batches = await _products_and_batches(d.gtin for d in drafts)
    codes = {d.consignee_code for d in drafts}
    codes |= {d.from_consignee_code for d in drafts if d.from_consignee_code}
    consignees = await _consignee_ids(codes)
    senders = {
        consignees[d.from_consignee_code] for d in drafts if d.from_consignee_code in consignees
    }
    received = await _receipts(senders)
    return _Known(known_gtins, batches, consignees, received, clock.today())


async def _resolve(
    drafts: Sequence[Draft], *, in_thread: bool = False
) -> tuple[list[_Row], Problems]:
    """Check drafts against the database with a few bulk queries; rows only when no problems.

    A sender may be a consignee that received the batch on an earlier draft. `in_thread`
    runs the check itself off the event loop (a large file keeps the CPU busy for a while).
    """
    known = await _known(drafts)
    if in_thread:
        return await asyncio.to_thread(_check, drafts, known)
    return _check(drafts, known)


def _check(drafts: Sequence[Draft], known: _Known) -> tuple[list[_Row], Problems]:
    known_gtins, batches, consignees = known.gtins, known.batches, known.consignees
    received = set(known.received)
    latest = known.latest
    rows: list[_Row] = []
    problems = Problems()
    for draft in drafts:
        found: list[Problem] = []
        batch = batches.get((draft.gtin, draft.batch_no))
        if draft.gtin not in known_gtins:
            found.append(Problem(draft.line, "gtin", f"no product with GTIN {draft.gtin}"))
        elif batch is None:
            detail = f"no batch {draft.batch_no} of GTIN {draft.gtin}"
            found.append(Problem(draft.line, "batch_no", detail))
        consignee_id = consignees.get(draft.consignee_code)
        if consignee_id is None:
            detail = f"no consignee with code {draft.consignee_code!r}"
            found.append(Problem(draft.line, "consignee_code", detail))
        if batch is not None and draft.shipped_on < batch.manufactured_on:
            detail = f"before the batch was manufactured ({batch.manufactured_on.isoformat()})"
            found.append(Problem(draft.line, "shipped_on", detail))
        if draft.shipped_on > latest:
            found.append(Problem(draft.line, "shipped_on", "must not be in the future"))
        if batch is not None and shipment_refused(batch.status, batch.held_on, draft.shipped_on):
            detail = refusal(batch.batch_no, batch.status, batch.held_on)
            found.append(Problem(draft.line, "batch_no", detail, conflict=True))
        sender_id = None
        if draft.from_consignee_code:
            sender_id = consignees.get(draft.from_consignee_code)
            if draft.from_consignee_code == draft.consignee_code:
                detail = "must differ from consignee_code"
                found.append(Problem(draft.line, "from_consignee_code", detail))
            elif sender_id is None:
                detail = f"no consignee with code {draft.from_consignee_code!r}"
                found.append(Problem(draft.line, "from_consignee_code", detail))
            elif batch is not None and (batch.id, sender_id) not in received:
                detail = (
                    f"{draft.from_consignee_code} has not received batch {draft.batch_no}, "
                    "so it cannot ship it"
                )
                found.append(Problem(draft.line, "from_consignee_code", detail))
        if batch is not None and consignee_id is not None:
            # Count the receipt even when another column is wrong, so no error cascades.
            received.add((batch.id, consignee_id))
        if found:
            problems.add(found)
        elif batch is not None and consignee_id is not None:
            rows.append(_Row(batch.id, consignee_id, sender_id, draft.quantity, draft.shipped_on))
    return (rows if not problems else []), problems


# One shipment --------------------------------------------------------------------


async def record_shipment(
    actor: Actor,
    gtin: str,
    batch_no: str,
    consignee_code: str,
    quantity: int,
    shipped_on: date,
    from_consignee_code: str | None = None,
) -> Shipment:
    """Record units of a batch sent to a consignee, by us or (with a sender) by a consignee."""
    sender_code = (from_consignee_code or "").strip() or None
    draft = Draft(
        line=1,
        gtin=normalize_gtin(gtin),
        batch_no=check_batch_no(batch_no),
        consignee_code=check_code(consignee_code, "consignee_code"),
        quantity=check_count(quantity, "quantity"),
        shipped_on=shipped_on,
        from_consignee_code=check_code(sender_code, "from_consignee_code") if sender_code else None,
    )
    rows, problems = await _resolve([draft])
    if problems:
        first = problems.kept[0]
        if first.conflict:
            raise refused_error(first.detail)
        raise InvalidInput(first.field, first.detail)
    row = rows[0]
    async with db.transaction():
        saved = {
            "batch": row.batch_id,
            "consignee": row.consignee_id,
            "sender": row.sender_id,
            "quantity": row.quantity,
            "shipped_on": row.shipped_on,
            "created_at": clock.now(),
        }
        shipment_id = await db.insert("shipment", saved)
        new = {
            "gtin": draft.gtin,
            "batch_no": draft.batch_no,
            "consignee_code": draft.consignee_code,
            "from_consignee_code": draft.from_consignee_code,
            "quantity": draft.quantity,
            "shipped_on": draft.shipped_on,
        }
        await audit.record(actor, audit.Change("shipment", shipment_id, "created", new=new))
        if row.batch_id in await _recalled({row.batch_id}):
            await outbox.add(LATE_SHIPMENTS_JOB, {"shipment_ids": [shipment_id]})
    return Shipment(
        id=shipment_id,
        batch_id=row.batch_id,
        gtin=draft.gtin,
        batch_no=draft.batch_no,
        consignee_code=draft.consignee_code,
        from_consignee_code=draft.from_consignee_code,
        quantity=draft.quantity,
        shipped_on=draft.shipped_on,
    )


_SHIPMENT_COLUMNS = (
    "s.id AS id, s.batch AS batch, b.batch_no AS batch_no, p.gtin AS gtin, c.code AS code, "
    "sender.code AS sender_code, s.quantity AS quantity, s.shipped_on AS shipped_on"
)
_SHIPMENTS = (
    "shipment s LEFT JOIN batch b ON b.id = s.batch LEFT JOIN product p ON p.id = b.product "
    "LEFT JOIN consignee c ON c.id = s.consignee "
    "LEFT JOIN consignee sender ON sender.id = s.sender"
)


def _shipment(row: Mapping[str, Any]) -> Shipment:
    return Shipment(
        id=row["id"],
        batch_id=row["batch"],
        gtin=row["gtin"],
        batch_no=row["batch_no"],
        consignee_code=row["code"],
        from_consignee_code=row["sender_code"],
        quantity=row["quantity"],
        shipped_on=db.as_date(row["shipped_on"]),
    )


async def list_shipments(
    batch_id: int | None = None,
    consignee_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Shipment], int]:
    """Shipments, newest shipping date first, optionally of one batch and/or to one consignee."""
    if batch_id is not None and not is_valid_id(batch_id):
        return [], 0
    where, values = db.where(
        ("s.batch = {}", [batch_id]) if batch_id is not None else ("", []),
        ("c.code = {}", [consignee_code.strip()]) if consignee_code else ("", []),
    )
    rows, total = await db.fetch_page(
        _SHIPMENT_COLUMNS, _SHIPMENTS + where, "s.shipped_on DESC, s.id DESC", values, limit, offset
    )
    return [_shipment(row) for row in rows], total


# CSV import ----------------------------------------------------------------------


# Lines read between two progress reports (each report lets other requests run).
PROGRESS_EVERY = 2000


async def _parse(
    csv_text: str, progress: ImportProgress | None = None
) -> tuple[list[Draft], Problems, int]:
    """Drafts and format problems of a CSV file, and its number of data lines; read in a
    thread, a stretch at a time when someone watches the progress."""
    total = line_count(csv_text)
    file = FileReader(csv_text)
    if not await asyncio.to_thread(file.header):
        return [], file.problems, 0
    every = PROGRESS_EVERY if progress is not None else None
    while not await asyncio.to_thread(file.read, every):
        if progress is not None:
            await progress.checked(file.reader.line_num, total)
    return file.drafts, file.problems, file.lines


def _first_errors(*found: Problems) -> list[LineError]:
    """The first `MAX_ERRORS` problems by line of those found in turn: each keeps its first
    in line order, and a stable sort keeps a line's columns in order."""
    problems = sorted((p for each in found for p in each.kept), key=lambda p: p.line)
    return [problem.as_line_error() for problem in problems[:MAX_ERRORS]]


async def import_shipments(
    actor: Actor, csv_text: str, progress: ImportProgress | None = None
) -> ImportResult:
    """Import shipments from CSV: all lines or none; the first `MAX_ERRORS` bad lines are
    listed and all of them counted.

    Columns (header on line 1): gtin, batch_no, consignee_code, quantity, shipped_on and
    optionally from_consignee_code. One audit entry covers the whole file. `progress`, when
    given, hears how far the check got and when writing starts. Reading and checking the
    lines run in threads; the database work stays on the event loop, in one transaction.
    """
    drafts, problems, lines = await _parse(csv_text, progress)
    if progress is not None:
        total = line_count(csv_text)
        await progress.checked(total, total)
    rows: list[_Row] = []
    found = Problems()
    if drafts:
        # Lines with well-formed values are checked against the database even when others
        # are malformed, so one answer counts every bad line.
        rows, found = await _resolve(drafts, in_thread=True)
    if problems or found:
        return ImportResult(0, _first_errors(problems, found), problems.count + found.count)
    if not rows:
        return ImportResult(0, [])
    sha256 = await asyncio.to_thread(lambda: hashlib.sha256(csv_text.encode()).hexdigest())
    if progress is not None:
        await progress.writing()
    async with db.transaction():
        late = await _insert_shipments(rows)
        if late:
            await outbox.add(LATE_SHIPMENTS_JOB, {"shipment_ids": late})
        if progress is not None:
            await progress.written(len(rows))
        number = await db.next_number("shipment_import")
        new = {
            "imported": len(rows),
            "lines": lines,
            "batches": len({row.batch_id for row in rows}),
            "consignees": len({row.consignee_id for row in rows}),
            "quantity": sum(row.quantity for row in rows),
            "sha256": sha256,
        }
        await audit.record(actor, audit.Change("shipment_import", number, "imported", new=new))
    return ImportResult(len(rows), [])


async def _recalled(batch_ids: Iterable[int]) -> set[int]:
    """Those of the batches that are recalled, read inside the writing transaction."""
    rows = await db.fetch_in(
        "SELECT id FROM batch WHERE status = {} AND id IN (*)",
        sorted(set(batch_ids)),
        BatchStatus.RECALLED.value,
    )
    return {int(row["id"]) for row in rows}


_INSERT_TYPES = ("int", "int", "int", "int", "date", "timestamptz")


async def _insert_shipments(rows: Sequence[_Row]) -> list[int]:
    """Bulk insert inside the current transaction: COPY on PostgreSQL, multi-row INSERT else.

    Shipments of recalled batches (records dated before the recall, come late) are inserted
    apart, so their ids are known: returned for the recall to reach their consignees.
    """
    if not db.in_transaction():
        raise RuntimeError("bulk insert of shipments must run inside a transaction")
    created_at = clock.now()
    recalled = await _recalled(r.batch_id for r in rows)
    records = [
        (r.batch_id, r.consignee_id, r.sender_id, r.quantity, r.shipped_on, created_at)
        for r in rows
    ]
    await db.copy("shipment", INSERT_COLUMNS, [r for r in records if r[0] not in recalled])
    late = [r for r in records if r[0] in recalled]
    inserted = await db.insert_many(
        "shipment", list(zip(INSERT_COLUMNS, _INSERT_TYPES, strict=True)), late, "RETURNING id"
    )
    return sorted(int(row["id"]) for row in inserted)

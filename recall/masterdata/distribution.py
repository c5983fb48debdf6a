"""Distribution records: shipments recorded one by one or imported in bulk from CSV.

Both paths share one set of rules (`_resolve`): the batch and the consignee exist, the
quantity is positive, the date lies between the batch's manufacture and today, and a
sender (a consignee passing units on) has itself received that batch before.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from piccolo.engine.postgres import PostgresEngine

from recall import audit, clock, db
from recall.auth import Actor
from recall.errors import InvalidInput
from recall.gs1 import normalize_gtin
from recall.masterdata import tables
from recall.masterdata.models import (
    MAX_COUNT,
    Shipment,
    check_batch_no,
    check_code,
    check_count,
)
from recall.rules import is_valid_id
from recall.settings import get_settings

REQUIRED_COLUMNS = ("gtin", "batch_no", "consignee_code", "quantity", "shipped_on")
OPTIONAL_COLUMNS = ("from_consignee_code",)
# Rows per lookup or insert statement: far below both databases' bound-parameter limits.
INSERT_CHUNK = 1000
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
INSERT_COLUMNS = ("batch", "consignee", "sender", "quantity", "shipped_on", "created_at")
# Bad lines an import lists (the first, by line); `error_count` tells how many there were.
MAX_ERRORS = 1000


@dataclass(frozen=True)
class LineError:
    """A problem on one line of an import (line 1 is the header); `detail` names the column."""

    line: int
    detail: str
    # The column the problem is in ("header" and "line" for the whole line), as `detail` starts.
    column: str = ""

    @property
    def problem(self) -> str:
        """`detail` without the column it starts with."""
        return self.detail.removeprefix(f"{self.column}: ") if self.column else self.detail


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
class _Draft:
    """One shipment as written, its formats checked, before the database is asked."""

    line: int
    gtin: str
    batch_no: str
    consignee_code: str
    quantity: int
    shipped_on: date
    from_consignee_code: str | None


@dataclass(frozen=True)
class _Problem:
    line: int
    field: str
    detail: str

    def as_line_error(self) -> LineError:
        return LineError(self.line, f"{self.field}: {self.detail}", self.field)


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


def today() -> date:
    """The plant's calendar date (shipping papers are dated locally, not in UTC)."""
    return clock.now().astimezone(ZoneInfo(get_settings().time_zone)).date()


# Lookups -------------------------------------------------------------------------


async def _products_and_batches(
    gtins: Iterable[str],
) -> tuple[set[str], dict[tuple[str, str], _Batch]]:
    """Known GTINs among `gtins` and their batches keyed by (gtin, batch_no): one query."""
    rows = await db.fetch_in(
        "SELECT p.gtin AS gtin, b.id AS id, b.batch_no AS batch_no, "
        "b.manufactured_on AS manufactured_on "
        "FROM product p LEFT JOIN batch b ON b.product = p.id WHERE p.gtin IN (*)",
        sorted(set(gtins)),
    )
    known = {row["gtin"] for row in rows}
    batches = {
        (row["gtin"], row["batch_no"]): _Batch(
            row["id"], row["gtin"], row["batch_no"], db.as_date(row["manufactured_on"])
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


async def _known(drafts: Sequence[_Draft]) -> _Known:
    known_gtins, batches = await _products_and_batches(d.gtin for d in drafts)
    codes = {d.consignee_code for d in drafts}
    codes |= {d.from_consignee_code for d in drafts if d.from_consignee_code}
    consignees = await _consignee_ids(codes)
    senders = {
        consignees[d.from_consignee_code] for d in drafts if d.from_consignee_code in consignees
    }
    received = await _receipts(senders)
    return _Known(known_gtins, batches, consignees, received, today())


async def _resolve(
    drafts: Sequence[_Draft], *, in_thread: bool = False
) -> tuple[list[_Row], list[_Problem]]:
    """Check drafts against the database with a few bulk queries; rows only when no problems.

    A sender may be a consignee that received the batch on an earlier draft. `in_thread`
    runs the check itself off the event loop (a large file keeps the CPU busy for a while).
    """
    known = await _known(drafts)
    if in_thread:
        return await asyncio.to_thread(_check, drafts, known)
    return _check(drafts, known)


def _check(drafts: Sequence[_Draft], known: _Known) -> tuple[list[_Row], list[_Problem]]:
    known_gtins, batches, consignees = known.gtins, known.batches, known.consignees
    received = set(known.received)
    latest = known.latest
    rows: list[_Row] = []
    problems: list[_Problem] = []
    for draft in drafts:
        found: list[_Problem] = []
        batch = batches.get((draft.gtin, draft.batch_no))
        if draft.gtin not in known_gtins:
            found.append(_Problem(draft.line, "gtin", f"no product with GTIN {draft.gtin}"))
        elif batch is None:
            detail = f"no batch {draft.batch_no} of GTIN {draft.gtin}"
            found.append(_Problem(draft.line, "batch_no", detail))
        consignee_id = consignees.get(draft.consignee_code)
        if consignee_id is None:
            detail = f"no consignee with code {draft.consignee_code!r}"
            found.append(_Problem(draft.line, "consignee_code", detail))
        if batch is not None and draft.shipped_on < batch.manufactured_on:
            detail = f"before the batch was manufactured ({batch.manufactured_on.isoformat()})"
            found.append(_Problem(draft.line, "shipped_on", detail))
        if draft.shipped_on > latest:
            found.append(_Problem(draft.line, "shipped_on", "must not be in the future"))
        sender_id = None
        if draft.from_consignee_code:
            sender_id = consignees.get(draft.from_consignee_code)
            if draft.from_consignee_code == draft.consignee_code:
                detail = "must differ from consignee_code"
                found.append(_Problem(draft.line, "from_consignee_code", detail))
            elif sender_id is None:
                detail = f"no consignee with code {draft.from_consignee_code!r}"
                found.append(_Problem(draft.line, "from_consignee_code", detail))
            elif batch is not None and (batch.id, sender_id) not in received:
                detail = (
                    f"{draft.from_consignee_code} has not received batch {draft.batch_no}, "
                    "so it cannot ship it"
                )
                found.append(_Problem(draft.line, "from_consignee_code", detail))
        if batch is not None and consignee_id is not None:
            # Count the receipt even when another column is wrong, so no error cascades.
            received.add((batch.id, consignee_id))
        problems += found
        if not found and batch is not None and consignee_id is not None:
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
    draft = _Draft(
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
        raise InvalidInput(problems[0].field, problems[0].detail)
    row = rows[0]
    async with db.transaction():
        saved = tables.Shipment(
            batch=row.batch_id,
            consignee=row.consignee_id,
            sender=row.sender_id,
            quantity=row.quantity,
            shipped_on=row.shipped_on,
            created_at=clock.now(),
        )
        await saved.save()
        new = {
            "gtin": draft.gtin,
            "batch_no": draft.batch_no,
            "consignee_code": draft.consignee_code,
            "from_consignee_code": draft.from_consignee_code,
            "quantity": draft.quantity,
            "shipped_on": draft.shipped_on,
        }
        await audit.record(actor, audit.Change("shipment", saved.id, "created", new=new))
    return Shipment(
        id=saved.id,
        batch_id=row.batch_id,
        gtin=draft.gtin,
        batch_no=draft.batch_no,
        consignee_code=draft.consignee_code,
        from_consignee_code=draft.from_consignee_code,
        quantity=draft.quantity,
        shipped_on=draft.shipped_on,
    )


_SHIPMENT_COLUMNS = (
    tables.Shipment.id,
    tables.Shipment.batch,
    tables.Shipment.batch.batch_no,
    tables.Shipment.batch._.product._.gtin,
    tables.Shipment.consignee.code,
    tables.Shipment.sender.code,
    tables.Shipment.quantity,
    tables.Shipment.shipped_on,
)


def _shipment(row: dict[str, Any]) -> Shipment:
    return Shipment(
        id=row["id"],
        batch_id=row["batch"],
        gtin=row["batch.product.gtin"],
        batch_no=row["batch.batch_no"],
        consignee_code=row["consignee.code"],
        from_consignee_code=row["sender.code"],
        quantity=row["quantity"],
        shipped_on=row["shipped_on"],
    )


async def list_shipments(
    batch_id: int | None = None,
    consignee_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Shipment], int]:
    """Shipments, newest shipping date first, optionally of one batch and/or to one consignee."""
    where = []
    if batch_id is not None:
        if not is_valid_id(batch_id):
            return [], 0
        where.append(tables.Shipment.batch == batch_id)
    if consignee_code:
        where.append(tables.Shipment.consignee.code == consignee_code.strip())
    query = tables.Shipment.select(*_SHIPMENT_COLUMNS).order_by(
        tables.Shipment.shipped_on, tables.Shipment.id, ascending=False
    )
    count = tables.Shipment.count()
    if where:
        query = query.where(*where)
        count = count.where(*where)
    rows = await query.limit(limit).offset(offset)
    return [_shipment(row) for row in rows], await count


# CSV import ----------------------------------------------------------------------


def _header(cells: list[str]) -> tuple[dict[str, int], list[_Problem]]:
    names = [cell.strip().lower() for cell in cells]
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        problems.append(_Problem(1, "header", f"missing column(s) {', '.join(missing)}"))
    unknown = [n for n in names if n not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        allowed = ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        detail = f"unknown column(s) {', '.join(repr(n) for n in unknown)}; allowed: {allowed}"
        problems.append(_Problem(1, "header", detail))
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(_Problem(1, "header", f"repeated column(s) {', '.join(repeated)}"))
    return {name: index for index, name in enumerate(names)}, problems


class _LineParser:
    """Turns CSV cells into drafts; remembers parsed GTINs and dates (files repeat them)."""

    def __init__(self, columns: dict[str, int]) -> None:
        self.columns = columns
        self.gtins: dict[str, str | InvalidInput] = {}
        self.dates: dict[str, date | None] = {}

    def parse(self, line: int, cells: list[str]) -> tuple[_Draft | None, list[_Problem]]:
        if len(cells) != len(self.columns):
            detail = f"expected {len(self.columns)} columns, found {len(cells)}"
            return None, [_Problem(line, "line", detail)]
        value = {name: cells[index].strip() for name, index in self.columns.items()}
        problems: list[_Problem] = []

        def check(field_name: str, rule: Any, *args: Any) -> Any:
            try:
                return rule(value[field_name], *args)
            except InvalidInput as exc:
                problems.append(_Problem(line, exc.field or field_name, _reason(exc)))
                return None

        gtin = check("gtin", self._gtin)
        batch_no = check("batch_no", check_batch_no)
        consignee_code = check("consignee_code", check_code, "consignee_code")
        quantity = check("quantity", _quantity)
        shipped_on = check("shipped_on", self._date)
        sender = value.get("from_consignee_code") or None
        if sender:
            sender = check("from_consignee_code", check_code, "from_consignee_code")
        if problems:
            return None, problems
        draft = _Draft(line, gtin, batch_no, consignee_code, quantity, shipped_on, sender)
        return draft, []

    def _gtin(self, text: str) -> str:
        if text not in self.gtins:
            try:
                self.gtins[text] = normalize_gtin(text)
            except InvalidInput as exc:
                self.gtins[text] = exc
        result = self.gtins[text]
        if isinstance(result, InvalidInput):
            raise result
        return result

    def _date(self, text: str) -> date:
        if text not in self.dates:
            parsed = None
            if ISO_DATE.fullmatch(text):
                try:
                    parsed = date.fromisoformat(text)
                except ValueError:
                    parsed = None
            self.dates[text] = parsed
        result = self.dates[text]
        if result is None:
            raise InvalidInput("shipped_on", f"{text!r} is not a date (YYYY-MM-DD)")
        return result


def _quantity(text: str) -> int:
    if not text.isdigit() or not text.isascii():
        raise InvalidInput("quantity", f"{text!r} is not a whole number")
    quantity = int(text)
    if quantity < 1:
        raise InvalidInput("quantity", "must be greater than zero")
    if quantity > MAX_COUNT:
        raise InvalidInput("quantity", f"at most {MAX_COUNT}")
    return quantity


def _reason(exc: InvalidInput) -> str:
    """The detail of an InvalidInput without its `field: ` prefix."""
    prefix = f"{exc.field}: "
    return exc.detail.removeprefix(prefix)


def line_count(csv_text: str) -> int:
    """The lines of a file as an editor numbers them, the header included."""
    if not csv_text:
        return 0
    return csv_text.count("\n") + (0 if csv_text.endswith("\n") else 1)


# Lines read between two progress reports (each report lets other requests run).
PROGRESS_EVERY = 2000


class _FileReader:
    """Reads a CSV file into drafts and format problems, a stretch of lines per call: each
    call is plain CPU work, run in a thread so the event loop keeps answering."""

    def __init__(self, csv_text: str) -> None:
        self.reader = csv.reader(io.StringIO(csv_text.removeprefix("\ufeff"), newline=""))
        self.parser: _LineParser | None = None
        self.drafts: list[_Draft] = []
        self.problems: list[_Problem] = []
        self.lines = 0  # data lines, blank ones not counted

    def header(self) -> bool:
        """Read the header; False when the file cannot be read further."""
        try:
            header = next(self.reader)
        except StopIteration:
            self.problems.append(_Problem(1, "header", "the file is empty"))
            return False
        except csv.Error as exc:
            self.problems.append(_Problem(1, "header", f"not readable as CSV ({exc})"))
            return False
        columns, problems = _header(header)
        self.problems += problems
        self.parser = _LineParser(columns)
        return not problems

    def read(self, every: int | None) -> bool:
        """Read records until the file ends (True) or, with `every`, until the line reached
        is a multiple of it (False: call again)."""
        reader, parser = self.reader, self.parser
        assert parser is not None
        while True:
            line = reader.line_num + 1  # a quoted cell may span lines: report where it starts
            try:
                cells = next(reader)
            except StopIteration:
                return True
            except csv.Error as exc:
                self.problems.append(_Problem(line, "line", f"not readable as CSV ({exc})"))
                return True
            if cells and any(cell.strip() for cell in cells):  # blank lines carry nothing
                self.lines += 1
                draft, found = parser.parse(line, cells)
                self.problems += found
                if draft is not None:
                    self.drafts.append(draft)
            if every is not None and reader.line_num % every == 0:
                return False


async def _parse(
    csv_text: str, progress: ImportProgress | None = None
) -> tuple[list[_Draft], list[_Problem], int]:
    """Drafts and format problems of a CSV file, and its number of data lines; read in a
    thread, a stretch at a time when someone watches the progress."""
    total = line_count(csv_text)
    file = _FileReader(csv_text)
    if not await asyncio.to_thread(file.header):
        return [], file.problems, 0
    every = PROGRESS_EVERY if progress is not None else None
    while not await asyncio.to_thread(file.read, every):
        if progress is not None:
            await progress.checked(file.reader.line_num, total)
    return file.drafts, file.problems, file.lines


def _first_errors(problems: list[_Problem]) -> list[LineError]:
    """The first `MAX_ERRORS` problems by line (a stable sort keeps a line's columns in order)."""
    problems.sort(key=lambda problem: problem.line)
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
    if drafts:
        # Lines with well-formed values are checked against the database even when others
        # are malformed, so one answer lists every bad line.
        rows, found = await _resolve(drafts, in_thread=True)
        problems += found
    if problems:
        errors = await asyncio.to_thread(_first_errors, problems)
        return ImportResult(0, errors, len(problems))
    if not rows:
        return ImportResult(0, [])
    sha256 = await asyncio.to_thread(lambda: hashlib.sha256(csv_text.encode()).hexdigest())
    if progress is not None:
        await progress.writing()
    async with db.transaction():
        await _insert_shipments(rows)
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


async def _insert_shipments(rows: Sequence[_Row]) -> None:
    """Bulk insert inside the current transaction: COPY on PostgreSQL, multi-row INSERT else."""
    created_at = clock.now()
    records = [
        (r.batch_id, r.consignee_id, r.sender_id, r.quantity, r.shipped_on, created_at)
        for r in rows
    ]
    engine = db.get_engine()
    if isinstance(engine, PostgresEngine):
        transaction = engine.current_transaction.get()
        if transaction is None:
            raise RuntimeError("bulk insert of shipments must run inside a transaction")
        connection = transaction.connection
        await connection.copy_records_to_table(
            "shipment", records=records, columns=list(INSERT_COLUMNS)
        )
        return
    row_placeholder = f"({', '.join(['{}'] * len(INSERT_COLUMNS))})"
    for start in range(0, len(records), INSERT_CHUNK):
        chunk = records[start : start + INSERT_CHUNK]
        sql = f"INSERT INTO shipment ({', '.join(INSERT_COLUMNS)}) VALUES " + ", ".join(
            [row_placeholder] * len(chunk)
        )
        await db.fetch(sql, *(value for record in chunk for value in record))

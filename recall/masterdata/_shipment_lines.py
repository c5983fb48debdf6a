"""Shipment CSV files read line by line: the header's columns, each line's values checked
for format (the database is asked later, in `distribution`), and every problem kept with its
line and column. Plain CPU work, free of the event loop: the import runs it in a thread."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from recall.errors import InvalidInput
from recall.gs1 import normalize_gtin
from recall.masterdata._models import MAX_COUNT, check_batch_no, check_code
from recall.rules import day_in_range

REQUIRED_COLUMNS = ("gtin", "batch_no", "consignee_code", "quantity", "shipped_on")
OPTIONAL_COLUMNS = ("from_consignee_code",)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Problems an import keeps (the first, by line); all of them are counted.
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


@dataclass(frozen=True)
class Draft:
    """One shipment as written, its formats checked, before the database is asked."""

    line: int
    gtin: str
    batch_no: str
    consignee_code: str
    quantity: int
    shipped_on: date
    from_consignee_code: str | None


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    detail: str
    # A rule of the batch's state (held, recalled) rather than of the value: 409, not 422.
    conflict: bool = False

    def as_line_error(self) -> LineError:
        return LineError(self.line, f"{self.field}: {self.detail}", self.field)


class Problems:
    """Problems found in line order: the first `keep` kept, all of them counted. A file of
    200,000 bad lines costs a counter, not 200,000 objects (and their garbage collection)."""

    def __init__(self, keep: int = MAX_ERRORS) -> None:
        self.keep = keep
        self.kept: list[Problem] = []
        self.count = 0

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, found: list[Problem]) -> None:
        self.count += len(found)
        room = self.keep - len(self.kept)
        if room > 0:
            self.kept += found[:room]


def _header(cells: list[str]) -> tuple[dict[str, int], list[Problem]]:
    names = [cell.strip().lower() for cell in cells]
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        problems.append(Problem(1, "header", f"missing column(s) {', '.join(missing)}"))
    unknown = [n for n in names if n not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        allowed = ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        detail = f"unknown column(s) {', '.join(repr(n) for n in unknown)}; allowed: {allowed}"
        problems.append(Problem(1, "header", detail))
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(Problem(1, "header", f"repeated column(s) {', '.join(repeated)}"))
    return {name: index for index, name in enumerate(names)}, problems


class _LineParser:
    """Turns CSV cells into drafts; remembers parsed GTINs and dates (files repeat them)."""

    def __init__(self, columns: dict[str, int]) -> None:
        self.columns = columns
        self.gtins: dict[str, str | InvalidInput] = {}
        self.dates: dict[str, date | None] = {}

    def parse(self, line: int, cells: list[str]) -> tuple[Draft | None, list[Problem]]:
        if len(cells) != len(self.columns):
            detail = f"expected {len(self.columns)} columns, found {len(cells)}"
            return None, [Problem(line, "line", detail)]
        value = {name: cells[index].strip() for name, index in self.columns.items()}
        problems: list[Problem] = []

        def check(field_name: str, rule: Any, *args: Any) -> Any:
            try:
                return rule(value[field_name], *args)
            except InvalidInput as exc:
                problems.append(Problem(line, exc.field or field_name, _reason(exc)))
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
        draft = Draft(line, gtin, batch_no, consignee_code, quantity, shipped_on, sender)
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
        return day_in_range(result, "shipped_on")


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


class FileReader:
    """Reads a CSV file into drafts and format problems, a stretch of lines per call: each
    call is plain CPU work, run in a thread so the event loop keeps answering."""

    def __init__(self, csv_text: str) -> None:
        self.reader = csv.reader(io.StringIO(csv_text.removeprefix("\ufeff"), newline=""))
        self.parser: _LineParser | None = None
        self.drafts: list[Draft] = []
        self.problems = Problems()
        self.lines = 0  # data lines, blank ones not counted

    def header(self) -> bool:
        """Read the header; False when the file cannot be read further."""
        try:
            header = next(self.reader)
        except StopIteration:
            self.problems.add([Problem(1, "header", "the file is empty")])
            return False
        except csv.Error as exc:
            self.problems.add([Problem(1, "header", f"not readable as CSV ({exc})")])
            return False
        columns, problems = _header(header)
        self.problems.add(problems)
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
                self.problems.add([Problem(line, "line", f"not readable as CSV ({exc})")])
                return True
            if cells and any(cell.strip() for cell in cells):  # blank lines carry nothing
                self.lines += 1
                draft, found = parser.parse(line, cells)
                if found:
                    self.problems.add(found)
                if draft is not None:
                    self.drafts.append(draft)
            if every is not None and reader.line_num % every == 0:
                return False

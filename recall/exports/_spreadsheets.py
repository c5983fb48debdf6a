"""Tables as files: CSV (UTF-8 with a byte-order mark, opens in Excel) or XLSX (openpyxl).

A table is written in parts (`TableFile.add`), so a long one can be written a chunk at a
time in a thread, its progress told between chunks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import IO, Any
from zoneinfo import ZoneInfo

from recall.settings import get_settings


class TableFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES = {
    TableFormat.CSV: "text/csv; charset=utf-8",
    TableFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A cell starting with one of these is a formula to a spreadsheet: never let data run as one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: Any) -> str:
    """A value as a CSV cell shows it; text that a spreadsheet would run is quoted."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _xlsx_value(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, bool) or value is None:
        return cell_text(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        # Spreadsheets have no time zones: show the plant's clock, as the pages do.
        return value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    return cell_text(value)


class TableFile:
    """A table being written to `target`: its heading first, rows in parts, then `finish`."""

    def __init__(
        self, format: TableFormat, title: str, headers: Sequence[str], target: IO[bytes]
    ) -> None:
        self.format = format
        self.target = target
        self._zone = ZoneInfo(get_settings().time_zone)
        if format is TableFormat.XLSX:
            # openpyxl (~16 MB) loads in the first process that writes a spreadsheet.
            from openpyxl import Workbook
            from openpyxl.cell import WriteOnlyCell
            from openpyxl.styles import Font

            self._workbook = Workbook(write_only=True)
            self._sheet = self._workbook.create_sheet(title=title[:31] or "Sheet")
            bold = Font(bold=True)
            heading = []
            for text in headers:
                cell = WriteOnlyCell(self._sheet, value=text)
                cell.font = bold
                heading.append(cell)
            self._sheet.append(heading)
        else:
            # The byte-order mark makes Excel read UTF-8 (Indonesian names, em dashes) correctly.
            self._text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._text)
            self._csv.writerow(headers)

    def add(self, rows: Iterable[Sequence[Any]]) -> None:
        if self.format is TableFormat.XLSX:
            for row in rows:
                self._sheet.append([_xlsx_value(value, self._zone) for value in row])
        else:
            self._csv.writerows([cell_text(value) for value in row] for row in rows)

    def discard(self) -> None:
        """Stop a table that will not be finished (its sheet's temporary file is closed)."""
        if self.format is TableFormat.XLSX:
            self._sheet.close()
        else:
            self._text.detach()

    def finish(self) -> None:
        if self.format is TableFormat.XLSX:
            self._workbook.save(self.target)
        else:
            self._text.flush()
            self._text.detach()  # the target stays open for its owner


def table_bytes(
    format: TableFormat, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> bytes:
    """The whole table as one file's bytes (small tables, made while the reader waits)."""
    buffer = io.BytesIO()
    table = TableFile(format, title, headers, buffer)
    table.add(rows)
    table.finish()
    return buffer.getvalue()

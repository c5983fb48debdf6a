"""Downloads of a page's table as CSV (UTF-8, opens in Excel) or XLSX (openpyxl)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Response
from litestar.params import QueryParameter
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from recall.settings import get_settings
from web.pages.render import HEADERS


class Format(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


FormatParameter = Annotated[Format, QueryParameter(description="csv or xlsx")]
MEDIA_TYPES = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A cell starting with one of these is a formula to a spreadsheet: never let data run as one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell_text(value: Any) -> str:
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


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return _cell_text(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        # Spreadsheets have no time zones: show the plant's clock, as the pages do.
        zone = ZoneInfo(get_settings().time_zone)
        return value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    return _cell_text(value)


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_cell_text(value) for value in row])
    # The byte-order mark makes Excel read UTF-8 (Indonesian names, em dashes) correctly.
    return "\ufeff".encode() + buffer.getvalue().encode()


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet")
    bold = Font(bold=True)
    heading = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([_xlsx_value(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(
    name: str, format: Format, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Response[bytes]:
    """The table as a file named `<name>.<format>`; `headers` are already in the reader's
    language, `rows` hold plain values (numbers stay numbers in XLSX)."""
    is_xlsx = format is Format.XLSX
    content = xlsx_bytes(name, headers, rows) if is_xlsx else csv_bytes(headers, rows)
    return Response(
        content,
        media_type=MEDIA_TYPES[format],
        headers={
            **HEADERS,
            "Content-Disposition": f'attachment; filename="{name}.{format.value}"',
        },
    )

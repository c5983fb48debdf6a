"""Downloads of a page's table as CSV (UTF-8, opens in Excel) or XLSX (openpyxl)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from litestar import Response
from litestar.params import QueryParameter

from recall.exports import MEDIA_TYPES, TableFormat, table_bytes
from web.pages.render import HEADERS

Format = TableFormat
FormatParameter = Annotated[Format, QueryParameter(description="csv or xlsx")]


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return table_bytes(Format.CSV, "", headers, rows)


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return table_bytes(Format.XLSX, title, headers, rows)


def download(
    name: str, format: Format, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Response[bytes]:
    """The table as a file named `<name>.<format>`; `headers` are already in the reader's
    language, `rows` hold plain values (numbers stay numbers in XLSX)."""
    return Response(
        table_bytes(format, name, headers, rows),
        media_type=MEDIA_TYPES[format],
        headers={
            **HEADERS,
            "Content-Disposition": f'attachment; filename="{name}.{format.value}"',
        },
    )

"""Generated files: tables (CSV, XLSX) and report documents (PDF) made off the web process
for the reader who asked, kept for a day."""

from recall.exports._documents import Document
from recall.exports._service import (
    EXPORT_JOB,
    RETENTION,
    Export,
    ExportStatus,
    file_of,
    get_export,
    make_export,
    remove_expired,
    request_export,
)
from recall.exports._spreadsheets import MEDIA_TYPES, TableFile, TableFormat, cell_text, table_bytes

__all__ = [
    "EXPORT_JOB",
    "MEDIA_TYPES",
    "RETENTION",
    "Document",
    "Export",
    "ExportStatus",
    "TableFile",
    "TableFormat",
    "cell_text",
    "file_of",
    "get_export",
    "make_export",
    "remove_expired",
    "request_export",
    "table_bytes",
]

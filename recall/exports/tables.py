"""Generated files: documents made by a worker for one reader, kept for a day."""

from piccolo.columns import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class ExportJob(Table, tablename="export_job"):
    """One document asked for (a table as CSV/XLSX, a report as PDF) and how its making went."""

    id: Serial
    document = Varchar(length=40)  # consignees, reconciliation, recall_report, authority_report
    recall_id = Integer()
    format = Varchar(length=10)  # csv, xlsx, pdf
    # What the reader chose and the words in the reader's language (JSON).
    parameters = Text()
    # The same reader asking for the same document while one is being made gets that one.
    fingerprint = Varchar(length=64)
    # Only who asked may fetch the file: "user:<id>" or "key:<api key id>".
    requested_by = Varchar(length=60, index=True)
    requested_by_name = Varchar(length=200)
    requested_at = Timestamptz(index=True)
    status = Varchar(length=20)  # queued, running, ready, failed
    # Its outbox row: marked done by whichever process makes the file.
    outbox_id = Integer(null=True, default=None)
    rows_total = Integer(null=True, default=None)
    rows_done = Integer(default=0)
    # Why it failed: the domain error's kind and field (to answer as the request would have).
    error_kind = Varchar(length=40, null=True, default=None)
    error_field = Varchar(length=100, null=True, default=None)
    reason = Text(null=True, default=None)
    file_name = Varchar(length=255, null=True, default=None)
    content_type = Varchar(length=100, null=True, default=None)
    size_bytes = Integer(null=True, default=None)
    updated_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)

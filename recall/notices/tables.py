"""Recall notices: one per consignee within the recall's depth, with its quantities."""

from piccolo.columns import Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from recall.db.tables import foreign_key

MASTERDATA = "recall.masterdata.tables"


class Notice(Table, tablename="notice"):
    id: Serial
    recall = foreign_key(LazyTableReference("Recall", module_path="recall.recalls.tables"))
    consignee = foreign_key(LazyTableReference("Consignee", module_path=MASTERDATA))
    tier = Integer()
    status = Varchar(length=20, index=True)
    # Unguessable key of the consignee's portal page (the link in every notice).
    token = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    notified_at = Timestamptz(null=True, default=None)
    acknowledged_at = Timestamptz(null=True, default=None)
    responded_at = Timestamptz(null=True, default=None)
    last_contact_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)


class NoticeLine(Table, tablename="notice_line"):
    """One batch a notice covers: what the consignee received of it."""

    id: Serial
    notice = foreign_key(Notice)
    batch = foreign_key(LazyTableReference("Batch", module_path=MASTERDATA))
    quantity_distributed = Integer()
    # The consignee's latest stock report (null until it reports) and its returns so far.
    quantity_on_hand = Integer(null=True, default=None)
    quantity_quarantined = Integer(null=True, default=None)
    stock_reported_at = Timestamptz(null=True, default=None)
    quantity_returned = Integer(default=0)


class ReturnScan(Table, tablename="return_scan"):
    """A returned pack scanned by the consignee; a serial scanned twice counts once."""

    id: Serial
    notice = foreign_key(Notice)
    batch = foreign_key(LazyTableReference("Batch", module_path=MASTERDATA))
    serial = Varchar(length=40, null=True, default=None)
    barcode = Text()
    duplicate = Boolean(default=False)
    scanned_at = Timestamptz()


class IdempotentResponse(Table, tablename="idempotent_response"):
    """The first answer to a consignee's POST with an Idempotency-Key, replayed on repeats."""

    id: Serial
    scope = Varchar(length=100)
    key = Varchar(length=200)
    request_hash = Varchar(length=64)
    status_code = Integer()
    body = Text()
    created_at = Timestamptz()

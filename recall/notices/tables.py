"""Recall notices: one per consignee within the recall's depth, with its quantities."""

from piccolo.columns import BigInt, Boolean, Integer, Serial, Text, Timestamptz, Varchar
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
    # SHA-256 (hex) of the unguessable key of the consignee's portal page (the link in
    # every notice): the link is found by it, and the database never holds the key itself.
    token = Varchar(length=64, unique=True)
    # The key sealed (recall.sealing), so every message of the notice carries the same link.
    token_sealed = Text(default="")
    created_at = Timestamptz()
    notified_at = Timestamptz(null=True, default=None)
    acknowledged_at = Timestamptz(null=True, default=None)
    responded_at = Timestamptz(null=True, default=None)
    last_contact_at = Timestamptz(null=True, default=None)
    # The notice of the consignee that named this one as its customer (cascade), if any.
    via_notice = foreign_key(LazyTableReference("Notice", module_path=__name__), null=True)
    reminders_sent = Integer(default=0)
    version = Integer(default=1)
    # The profile whose market the consignee is in (by its country), when the recall runs
    # under several: the notice answers by that profile's deadlines. Null: under one.
    market = Varchar(length=20, null=True, default=None)
    # The scope amendment that reached this consignee; null: reached at approval.
    amendment = Integer(null=True, default=None)
    updates_sent = Integer(default=0)  # recall.update messages: the n-th is sequence n


class NoticeLine(Table, tablename="notice_line"):
    """One batch a notice covers: what the consignee received of it."""

    id: Serial
    notice = foreign_key(Notice)
    # The notice's recall and tier, copied so a recall's units add up without a join.
    recall = Integer(index=True)
    tier = Integer()
    batch = foreign_key(LazyTableReference("Batch", module_path=MASTERDATA))
    quantity_distributed = Integer()
    # The consignee's latest stock report (null until it reports) and its returns so far.
    quantity_on_hand = Integer(null=True, default=None)
    quantity_quarantined = Integer(null=True, default=None)
    stock_reported_at = Timestamptz(null=True, default=None)
    quantity_returned = Integer(default=0)
    # What added the line after approval: an amendment's id, or null (late shipments carry
    # added_at only); lines of the approved scope have neither.
    amendment = Integer(null=True, default=None)
    added_at = Timestamptz(null=True, default=None)


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


class Delivery(Table, tablename="delivery"):
    """One message of a notice on one channel; every attempt at it is a DeliveryAttempt."""

    id: Serial
    notice = foreign_key(Notice)
    channel = Varchar(length=10)  # webhook | email
    message = Varchar(length=20)  # notice | reminder
    sequence = Integer()  # 0 for the notice itself, n for the n-th reminder
    # The webhook-id (and e-mail Message-ID): the same for every attempt at this message.
    message_id = Varchar(length=120)
    status = Varchar(length=20, index=True)  # pending | delivered | failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    last_attempt_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz()


class DeliveryAttempt(Table, tablename="delivery_attempt"):
    id: Serial
    delivery = foreign_key(Delivery)
    attempted_at = Timestamptz()
    outcome = Varchar(length=20)  # delivered | retry | failed
    status_code = Integer(null=True, default=None)
    error = Text(null=True, default=None)
    duration_ms = Integer()


class NoticeTally(Table, tablename="notice_tally"):
    """Changes to a recall's notices and lines, added up, for its dashboard.

    Written only by the database's triggers on notice and notice_line (migration
    notice_tally), in the transaction that changes them: each statement adds one row per
    group it changed (PostgreSQL) or each changed row two (SQLite: minus as it was, plus as
    it is). A recall's figures are the sums of its rows, which reads fold from time to time.
    """

    id: Serial
    recall = Integer(index=True)  # no foreign key: the rows are derived, written in bulk
    tier = Integer()
    # Counted at the wholesale level (tier 1 or a PBF); null: a row of units only.
    wholesale = Boolean(null=True, default=None)
    country = Varchar(length=2, null=True, default=None)  # the consignee's
    market = Varchar(length=20, null=True, default=None)
    amendment = Integer(null=True, default=None)
    notices = Integer(default=0)
    notified = Integer(default=0)
    acknowledged = Integer(default=0)
    responded = Integer(default=0)
    # The latest of the times set (they are set once, from null): max over the rows.
    last_notified_at = Timestamptz(null=True, default=None)
    last_responded_at = Timestamptz(null=True, default=None)
    distributed = BigInt(default=0)
    on_hand = BigInt(default=0)  # never reported counts as none
    returned = BigInt(default=0)

"""Complaints as logged by customer service."""

from piccolo.columns import (
    Boolean,
    Date,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from recall.db.tables import foreign_key

MASTERDATA = "recall.masterdata.tables"


class Complaint(Table, tablename="complaint"):
    id: Serial
    reference = Varchar(length=20, unique=True, index=True)
    status = Varchar(length=20, index=True)
    channel = Varchar(length=20)
    reporter_name = Varchar(length=200)
    reporter_kind = Varchar(length=20)
    reporter_organization = Varchar(length=200, null=True, default=None)
    reporter_contact = Varchar(length=200, null=True, default=None)
    product = foreign_key(LazyTableReference("Product", module_path=MASTERDATA), null=True)
    batch = foreign_key(LazyTableReference("Batch", module_path=MASTERDATA), null=True)
    gtin = Varchar(length=14, null=True, default=None)
    batch_no = Varchar(length=40, null=True, default=None, index=True)
    expires_on = Date(null=True, default=None)
    serial = Varchar(length=40, null=True, default=None)
    barcode = Text(null=True, default=None)
    description = Text()
    adverse_event = Boolean(default=False)
    sample_available = Boolean(default=False)
    category = Varchar(length=30, null=True, default=None)
    severity = Varchar(length=10, null=True, default=None)
    received_at = Timestamptz(index=True)
    created_by = Integer(null=True)
    version = Integer(default=1)
    # Triage (QA): the decision to investigate, or the reason not to (21 CFR 211.198).
    investigate = Boolean(null=True, default=None)
    triage_reason = Text(null=True, default=None)
    pharmacovigilance = Boolean(default=False)
    triaged_at = Timestamptz(null=True, default=None)
    triaged_by = Integer(null=True)
    field_alert_due_at = Timestamptz(null=True, default=None)
    investigation = foreign_key(
        LazyTableReference("Investigation", module_path="recall.investigations.tables"), null=True
    )
    closed_at = Timestamptz(null=True, default=None)
    resolution = Text(null=True, default=None)


class ComplaintReply(Table, tablename="complaint_reply"):
    """What we told the complainant, and when."""

    id: Serial
    complaint = foreign_key(Complaint)
    text = Text()
    replied_at = Timestamptz()
    replied_by = Integer(null=True)


class ComplaintObligation(Table, tablename="complaint_obligation"):
    """A report a complaint owes an authority (field alert, adverse event, illegitimate product)."""

    id: Serial
    complaint = foreign_key(Complaint)
    kind = Varchar(length=30)
    profile = Varchar(length=20)
    authority = Varchar(length=100)
    due_at = Timestamptz(index=True)
    rule = Text()
    form = Varchar(length=100)
    # The submission to the authority, as QA records it.
    submitted_at = Timestamptz(null=True, default=None)
    reference = Varchar(length=100, null=True, default=None)
    channel = Varchar(length=20, null=True, default=None)
    submitted_by = Integer(null=True, default=None)
    recorded_at = Timestamptz(null=True, default=None)
    # When QA was alerted that it comes due: once only.
    alerted_at = Timestamptz(null=True, default=None)

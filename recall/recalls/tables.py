"""Recalls: the decision, the batches it covers and the deadlines its approval set."""

from piccolo.columns import Boolean, Date, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from recall.db.tables import foreign_key

MASTERDATA = "recall.masterdata.tables"
NOTICES = "recall.notices.tables"


class Recall(Table, tablename="recall"):
    id: Serial
    reference = Varchar(length=20, unique=True)
    status = Varchar(length=20, index=True)
    investigation = foreign_key(
        LazyTableReference("Investigation", module_path="recall.investigations.tables"), null=True
    )
    material_lot = foreign_key(LazyTableReference("MaterialLot", module_path=MASTERDATA), null=True)
    reason = Text()
    recall_class = Varchar(length=3)
    recall_type = Varchar(length=20)
    authority_reference = Varchar(length=100, null=True, default=None)
    depth = Varchar(length=20)
    profile = Varchar(length=20)  # the first of `profiles`
    # JSON list of the profiles whose markets the recall covers; null on first-release rows.
    profiles = Text(null=True, default=None)
    ordered_on = Date(null=True, default=None)  # date of the authority's order letter
    public_warning = Varchar(length=20, null=True, default=None)  # none|specialised|general
    health_hazard_assessment = Text()
    drill = Boolean(default=False)
    proposed_at = Timestamptz()
    proposed_by = Integer(null=True)
    approved_at = Timestamptz(null=True, default=None)
    approved_by = Integer(null=True)
    # How long building the consignee list took at approval (drills report it).
    trace_ms = Integer(null=True, default=None)
    # Notices the approval planned, and when the last of them was opened: a national recall
    # opens its tier-1 notices in the approval and the rest right after, in chunks.
    notices_planned = Integer(default=0)
    notices_opened_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    closed_by = Integer(null=True, default=None)
    closure_justification = Text(null=True, default=None)
    version = Integer(default=1)


class RecallBatch(Table, tablename="recall_batch"):
    id: Serial
    recall = foreign_key(Recall)
    batch = foreign_key(LazyTableReference("Batch", module_path=MASTERDATA))
    # The amendment that added the batch to the running recall; null: in the approved scope.
    amendment = Integer(null=True, default=None)


class RecallPlanLine(Table, tablename="recall_plan_line"):
    """A planned notice's line, staged by the approval until its notice is opened (the
    database plans a national recall here rather than in a process's memory)."""

    id: Serial
    recall = Integer()
    consignee = Integer()
    tier = Integer()
    batch = Integer()
    quantity = Integer()


class RecallAmendment(Table, tablename="recall_amendment"):
    """A change of a running recall's scope: batches (or a material lot's batches) added."""

    id: Serial
    recall = foreign_key(Recall)
    number = Integer()  # 1, 2, ... within the recall
    status = Varchar(length=20)  # proposed | approved
    reason = Text()
    material_lot = foreign_key(LazyTableReference("MaterialLot", module_path=MASTERDATA), null=True)
    batches = Text()  # JSON list of the batch ids it adds
    consignees_added = Integer(default=0)
    proposed_at = Timestamptz()
    proposed_by = Integer(null=True)
    approved_at = Timestamptz(null=True, default=None)
    approved_by = Integer(null=True, default=None)
    version = Integer(default=1)


class RecallDeadline(Table, tablename="recall_deadline"):
    """A due time set at approval from the regulatory profile (data, not code)."""

    id: Serial
    recall = foreign_key(Recall)
    name = Varchar(length=50)  # the deadline's key: initial_report, retail_complete, ...
    due_at = Timestamptz()
    rule = Varchar(length=100)
    # Set when QA was alerted that the deadline passed with work still open.
    escalated_at = Timestamptz(null=True, default=None)
    profile = Varchar(length=20, null=True, default=None)  # null: the recall's first profile
    basis = Varchar(length=20, default="approval")  # order | approval | amendment
    met_at = Timestamptz(null=True, default=None)  # set by the submission that meets it
    overridden = Boolean(default=False)
    override_reason = Text(null=True, default=None)
    # Set when the deadline runs for an amendment's new consignees (basis "amendment").
    amendment = Integer(null=True, default=None)


class Destruction(Table, tablename="destruction"):
    """Recalled units destroyed: at a consignee (counts as destroyed for its notice) or, with
    no notice, returned stock destroyed at the plant (already counted as returned)."""

    id: Serial
    recall = foreign_key(Recall)
    batch = foreign_key(LazyTableReference("Batch", module_path=MASTERDATA))
    notice = foreign_key(LazyTableReference("Notice", module_path=NOTICES), null=True)
    quantity = Integer()
    method = Varchar(length=200)
    place = Varchar(length=200)
    witness = Varchar(length=200)
    destroyed_on = Date()
    # BPOM's berita acara pemusnahan: its number, who destroyed, who witnessed for which agency.
    document_no = Varchar(length=100, null=True, default=None)
    executor = Varchar(length=200, null=True, default=None)
    witnesses = Text(default="[]")  # JSON [{name, agency}]
    recorded_at = Timestamptz()
    recorded_by = Integer(null=True)


class EffectivenessCheck(Table, tablename="effectiveness_check"):
    """A check at FDA level A-E of a reproducible random sample of the recall's consignees."""

    id: Serial
    recall = foreign_key(Recall)
    level = Varchar(length=1)
    sample_percent = Integer()
    seed = Varchar(length=40)  # kept so anyone can redraw the same sample
    created_at = Timestamptz()
    created_by = Integer(null=True)


class EffectivenessContact(Table, tablename="effectiveness_contact"):
    """One sampled consignee of a check: how it was checked and what was found."""

    id: Serial
    effectiveness_check = foreign_key(EffectivenessCheck)
    notice = foreign_key(LazyTableReference("Notice", module_path=NOTICES))
    method = Varchar(length=20, null=True, default=None)  # visit | phone | letter
    outcome = Varchar(length=20, null=True, default=None)  # effective | ineffective
    notes = Text(null=True, default=None)
    checked_at = Timestamptz(null=True, default=None)
    checked_by = Integer(null=True, default=None)


class StatusReport(Table, tablename="status_report"):
    """A periodic recall status report (FDA 21 CFR 7.53 content), frozen when filed."""

    id: Serial
    recall = foreign_key(Recall)
    number = Integer()
    filed_at = Timestamptz()
    content = Text()  # JSON: the figures as they stood when filed


class AuthoritySubmission(Table, tablename="authority_submission"):
    """A report or request sent to an authority: what, to whom, when, how."""

    id: Serial
    recall = foreign_key(Recall)
    kind = Varchar(length=30)
    profile = Varchar(length=20)
    authority = Varchar(length=200)
    submitted_at = Timestamptz()
    channel = Varchar(length=20)
    reference = Varchar(length=100, null=True, default=None)
    addressees = Text()  # JSON list of strings
    recorded_at = Timestamptz()
    recorded_by = Integer(null=True)


class PublicWarning(Table, tablename="public_warning"):
    """A public warning published about the recall (press, website, broadcast)."""

    id: Serial
    recall = foreign_key(Recall)
    published_on = Date()
    channel = Varchar(length=200)
    text = Text()
    url = Varchar(length=2000, null=True, default=None)
    recorded_at = Timestamptz()
    recorded_by = Integer(null=True)

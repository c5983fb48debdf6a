"""Recalls: the decision, the batches it covers and the deadlines its approval set."""

from piccolo.columns import Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from recall.db.tables import foreign_key

MASTERDATA = "recall.masterdata.tables"


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
    profile = Varchar(length=20)
    health_hazard_assessment = Text()
    drill = Boolean(default=False)
    proposed_at = Timestamptz()
    proposed_by = Integer(null=True)
    approved_at = Timestamptz(null=True, default=None)
    approved_by = Integer(null=True)
    version = Integer(default=1)


class RecallBatch(Table, tablename="recall_batch"):
    id: Serial
    recall = foreign_key(Recall)
    batch = foreign_key(LazyTableReference("Batch", module_path=MASTERDATA))


class RecallDeadline(Table, tablename="recall_deadline"):
    """A due time set at approval from the regulatory profile (data, not code)."""

    id: Serial
    recall = foreign_key(Recall)
    name = Varchar(length=50)
    due_at = Timestamptz()
    rule = Varchar(length=100)

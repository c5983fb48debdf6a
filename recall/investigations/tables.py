"""Quality investigations, the batches they suspect, and their CAPA actions."""

from piccolo.columns import Boolean, Date, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from recall.db.tables import foreign_key

BATCH = LazyTableReference("Batch", module_path="recall.masterdata.tables")


class Investigation(Table, tablename="investigation"):
    id: Serial
    reference = Varchar(length=20, unique=True)
    title = Varchar(length=200)
    status = Varchar(length=20, index=True)
    root_cause_category = Varchar(length=20, null=True, default=None)
    root_cause = Text(null=True, default=None)
    findings = Text(null=True, default=None)
    conclusion = Text(null=True, default=None)
    recall_recommended = Boolean(null=True, default=None)
    concluded_at = Timestamptz(null=True, default=None)
    concluded_by = Integer(null=True)
    # ICH Q9 risk: each factor 1-5; priority is their product, stored so lists sort by it.
    risk_severity = Integer(null=True, default=None)
    risk_occurrence = Integer(null=True, default=None)
    risk_detectability = Integer(null=True, default=None)
    risk_priority = Integer(null=True, default=None, index=True)
    containment = Text(default="[]")  # JSON [{action, done_on}], taken before the root cause
    created_at = Timestamptz()
    created_by = Integer(null=True)
    version = Integer(default=1)


class InvestigationBatch(Table, tablename="investigation_batch"):
    """A batch the investigation found affected (or possibly affected)."""

    id: Serial
    investigation = foreign_key(Investigation)
    batch = foreign_key(BATCH)


class Capa(Table, tablename="capa"):
    id: Serial
    investigation = foreign_key(Investigation)
    kind = Varchar(length=20)
    description = Text()
    owner = Varchar(length=200)
    due_on = Date()
    status = Varchar(length=20)
    completed_at = Timestamptz(null=True, default=None)
    completed_by = Integer(null=True)
    completion_note = Text(null=True, default=None)
    effectiveness_check_due_on = Date(null=True, default=None)
    created_at = Timestamptz()
    version = Integer(default=1)


class CapaEffectiveness(Table, tablename="capa_effectiveness"):
    """A check of whether a done CAPA worked, with its evidence; ineffective reopens it."""

    id: Serial
    capa = foreign_key(Capa)
    effective = Boolean()
    evidence = Text()
    recorded_at = Timestamptz()
    recorded_by = Integer(null=True)

"""Alerts for QA: what needs a person (failed delivery, passed deadline, failed check)."""

from piccolo.columns import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from recall.db.tables import foreign_key

RECALLS = "recall.recalls.tables"
NOTICES = "recall.notices.tables"


class Alert(Table, tablename="alert"):
    id: Serial
    recall = foreign_key(LazyTableReference("Recall", module_path=RECALLS), null=True)
    notice = foreign_key(LazyTableReference("Notice", module_path=NOTICES), null=True)
    kind = Varchar(length=40, index=True)
    detail = Text()
    created_at = Timestamptz()
    acknowledged_at = Timestamptz(null=True, default=None)
    acknowledged_by = Integer(null=True, default=None)

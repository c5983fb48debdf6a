"""Tables shared by every context."""

from piccolo.columns import ForeignKey, Integer, OnDelete, OnUpdate, Serial, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class Counter(Table, tablename="counter"):
    """Yearly sequences behind human references (CMP-2026-000123, RCL-2026-0001)."""

    id: Serial
    name = Varchar(length=40, unique=True)
    value = Integer(default=0)


def foreign_key(target: type[Table] | LazyTableReference, *, null: bool = False) -> ForeignKey:
    """A foreign key that refuses deletes: records are superseded, never removed."""
    return ForeignKey(
        references=target,
        null=null,
        index=True,
        on_delete=OnDelete.restrict,
        on_update=OnUpdate.restrict,
    )

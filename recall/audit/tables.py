"""The append-only audit trail."""

from piccolo.columns import BigInt, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entry"):
    """One change to one record, chained by hash to the entry before it."""

    id: Serial
    seq = BigInt(unique=True)  # the unique constraint's index serves the chain's walks
    at = Timestamptz()
    actor_id = Integer(null=True)
    actor_name = Varchar(length=150)
    # Listed by record type or action newest first: (entity, seq) and (action, seq) indexes,
    # made by the audit_listing_indexes migration (Piccolo declares single columns only).
    entity = Varchar(length=50)
    entity_id = Varchar(length=50, index=True)
    action = Varchar(length=50)
    old_values = Text(default="{}")
    new_values = Text(default="{}")
    reason = Text(default="")
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)
    # Id of the audit key the hash was keyed with (recall.keys); NULL: plain SHA-256 of
    # entries written before hashes were keyed.
    key_id = Varchar(length=16, null=True, default=None)


class AuditHead(Table, tablename="audit_head"):
    """The single row holding the chain's tip; locking it orders concurrent writers."""

    id: Serial
    seq = BigInt(default=0)
    hash = Varchar(length=64)

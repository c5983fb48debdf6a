"""The audit trail: every create and change, chained by hash."""

from recall.audit.service import (
    Change,
    Entry,
    Verification,
    history,
    list_entries,
    record,
    verify,
)

__all__ = ["Change", "Entry", "Verification", "history", "list_entries", "record", "verify"]

"""The audit trail: every create and change, chained by hash."""

from recall.audit.service import (
    Change,
    Entry,
    EntryFilter,
    Verification,
    find_entries,
    history,
    list_entries,
    record,
    verify,
)

__all__ = [
    "Change",
    "Entry",
    "EntryFilter",
    "Verification",
    "find_entries",
    "history",
    "list_entries",
    "record",
    "verify",
]

"""The audit trail: every create and change, chained by keyed hash and checkpointed."""

from recall.audit._checkpoints import FullRun
from recall.audit._service import (
    Change,
    Entry,
    EntryFilter,
    find_entries,
    history,
    list_entries,
    record,
)
from recall.audit._verification import Verification, verify

__all__ = [
    "Change",
    "Entry",
    "EntryFilter",
    "FullRun",
    "Verification",
    "find_entries",
    "history",
    "list_entries",
    "record",
    "verify",
]

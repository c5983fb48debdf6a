"""The audit trail: every create and change, chained by keyed hash and checkpointed."""

from recall.audit.checkpoints import FullRun
from recall.audit.service import (
    Change,
    Entry,
    EntryFilter,
    find_entries,
    history,
    list_entries,
    record,
)
from recall.audit.verification import Verification, verify

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

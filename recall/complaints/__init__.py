"""Complaints as logged by customer service."""

from recall.complaints.models import (
    BARCODE_MAX,
    BATCH_NO_MAX,
    CONTACT_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    TRANSITIONS,
    Category,
    Channel,
    Complaint,
    ComplaintStatus,
    PossibleDuplicate,
    Reporter,
    ReporterKind,
    Severity,
    transition,
)
from recall.complaints.service import (
    complaint_history,
    get_complaint,
    list_complaints,
    log_complaint,
    possible_duplicates,
)

__all__ = [
    "BARCODE_MAX",
    "BATCH_NO_MAX",
    "CONTACT_MAX",
    "DESCRIPTION_MAX",
    "NAME_MAX",
    "TRANSITIONS",
    "Category",
    "Channel",
    "Complaint",
    "ComplaintStatus",
    "PossibleDuplicate",
    "Reporter",
    "ReporterKind",
    "Severity",
    "complaint_history",
    "get_complaint",
    "list_complaints",
    "log_complaint",
    "possible_duplicates",
    "transition",
]

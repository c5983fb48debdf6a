"""Evidence files attached to complaints, investigations, recalls and destruction records."""

from recall.evidence._content import ACCEPTED, UNKNOWN, detect, safe_filename
from recall.evidence._service import (
    ENTITIES,
    Attachment,
    attach,
    attachment_content,
    attachments_of,
    get_attachment,
    list_attachments,
    may_attach,
    may_read,
)
from recall.evidence._store import EvidenceStore, evidence_store, local_store, store_at

__all__ = [
    "ACCEPTED",
    "ENTITIES",
    "UNKNOWN",
    "Attachment",
    "EvidenceStore",
    "attach",
    "attachment_content",
    "attachments_of",
    "detect",
    "evidence_store",
    "get_attachment",
    "list_attachments",
    "local_store",
    "may_attach",
    "may_read",
    "safe_filename",
    "store_at",
]

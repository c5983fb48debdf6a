"""Recalls: the proposal, its e-signed approval, the deadlines it sets, its progress, and its
close-out (reconciliation, destruction records, effectiveness checks, e-signed closure)."""

from recall.notices import DEPTH_REACHES, within_depth
from recall.recalls._closure import close_recall, closure_record
from recall.recalls._destruction import DestructionRecord, list_destructions, record_destruction
from recall.recalls._effectiveness import (
    ContactMethod,
    ContactOutcome,
    EffectivenessCheckShown,
    EffectivenessContactShown,
    EffectivenessLevel,
    draw_sample,
    get_effectiveness_check,
    list_effectiveness_checks,
    record_contact_outcome,
    sample_percent_of,
    sample_size,
    start_effectiveness_check,
)
from recall.recalls._escalation import escalate_passed_deadlines
from recall.recalls._models import (
    TRANSITIONS,
    Deadline,
    Depth,
    Reached,
    Recall,
    RecallClass,
    RecallProposal,
    RecallStatus,
    RecallSummary,
    RecallType,
    SignatureShown,
    deadline_met,
    may_approve,
    plan_notices,
    signed_record,
    transition,
)
from recall.recalls._overview import batches_by_recall
from recall.recalls._preview import RecallPreview, preview_recall, recalled_batches
from recall.recalls._reconciliation import (
    Reconciliation,
    ReconciliationLine,
    TierReconciliation,
    reconcile,
)
from recall.recalls._report_data import RecallReport, recall_report
from recall.recalls._report_pdf import ReportPdf, recall_report_pdf
from recall.recalls._reports import (
    StatusReport,
    file_due_status_reports,
    file_status_report,
    list_status_reports,
    status_report_content,
)
from recall.recalls._service import (
    approve_recall,
    get_recall,
    list_recall_notices,
    list_recalls,
    propose_recall,
)

__all__ = [
    "DEPTH_REACHES",
    "TRANSITIONS",
    "ContactMethod",
    "ContactOutcome",
    "Deadline",
    "Depth",
    "DestructionRecord",
    "EffectivenessCheckShown",
    "EffectivenessContactShown",
    "EffectivenessLevel",
    "Reached",
    "Recall",
    "RecallClass",
    "RecallPreview",
    "RecallProposal",
    "RecallReport",
    "RecallStatus",
    "RecallSummary",
    "RecallType",
    "Reconciliation",
    "ReconciliationLine",
    "ReportPdf",
    "SignatureShown",
    "StatusReport",
    "TierReconciliation",
    "approve_recall",
    "batches_by_recall",
    "close_recall",
    "closure_record",
    "deadline_met",
    "draw_sample",
    "escalate_passed_deadlines",
    "file_due_status_reports",
    "file_status_report",
    "get_effectiveness_check",
    "get_recall",
    "list_destructions",
    "list_effectiveness_checks",
    "list_recall_notices",
    "list_recalls",
    "list_status_reports",
    "may_approve",
    "plan_notices",
    "preview_recall",
    "propose_recall",
    "recall_report",
    "recall_report_pdf",
    "recalled_batches",
    "reconcile",
    "record_contact_outcome",
    "record_destruction",
    "sample_percent_of",
    "sample_size",
    "signed_record",
    "start_effectiveness_check",
    "status_report_content",
    "transition",
    "within_depth",
]

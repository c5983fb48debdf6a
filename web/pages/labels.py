"""Every coded value the pages show, paired with its one label (marked for the catalogues).

A label is translated where it is shown: in Python with `translated`, `options` or `label`,
in a template with `_()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from recall.actors import Role
from recall.complaints import (
    UNTRIAGED,
    Category,
    Channel,
    ComplaintStatus,
    OpenObligation,
    ReporterKind,
    Severity,
)
from recall.investigations import CapaKind, InvestigationStatus, RiskLevel, RootCauseCategory
from recall.masterdata import ConsigneeKind, ImportStatus
from recall.notices import NoticeStatus
from recall.recalls import (
    DeadlineBasis,
    Depth,
    PublicWarningLevel,
    RecallClass,
    RecallStatus,
    RecallType,
    SubmissionKind,
)
from recall.regulatory import SubmissionChannel
from web.pages.render import N_

Labels = Mapping[Any, str]


def translated(_: Callable[[str], str], labels: Labels) -> dict[str, str]:
    """The labels in the reader's words, keyed by the plain value."""
    return {str(value): _(text) for value, text in labels.items()}


def options(_: Callable[[str], str], labels: Labels) -> list[tuple[str, str]]:
    """(value, label) pairs in the reader's words, for a select."""
    return list(translated(_, labels).items())


def label(_: Callable[[str], str], labels: Labels, value: Any) -> str:
    """The label of `value` in the reader's words; a value without one is shown as it is."""
    return _(labels[value]) if value in labels else str(value)


# People ----------------------------------------------------------------------------------------

ROLE_NAMES = {
    Role.CS: N_("Customer service"),
    Role.QA: N_("Quality assurance"),
    Role.QA_MANAGER: N_("QA manager"),
    Role.INSPECTOR: N_("Inspector"),
    Role.ADMIN: N_("Administrator"),
    Role.DISTRIBUTOR: N_("Distributor"),
}
# What a redirect after an account change may say (never text from the address itself).
USER_SAVED = {
    "created": N_("The user is created."),
    "updated": N_("The changes are saved."),
    "password": N_("The password is reset. The user's sessions were signed out."),
    "deactivated": N_("The account is deactivated: it can no longer sign in."),
    "reactivated": N_("The account is active again."),
}
API_KEY_SAVED = {
    "revoked": N_("The key is revoked: requests made with it are refused from now on.")
}

# Complaints ------------------------------------------------------------------------------------

COMPLAINT_STATUS_NAMES = {
    ComplaintStatus.RECEIVED: N_("Received"),
    ComplaintStatus.TRIAGED: N_("Triaged"),
    ComplaintStatus.UNDER_INVESTIGATION: N_("Under investigation"),
    ComplaintStatus.CLOSED: N_("Closed"),
}
CHANNEL_NAMES = {
    Channel.PHONE: N_("Phone"),
    Channel.EMAIL: N_("E-mail"),
    Channel.LETTER: N_("Letter"),
    Channel.WEB: N_("Web form"),
    Channel.DISTRIBUTOR: N_("Through a distributor"),
    Channel.AUTHORITY: N_("From the authority (BPOM)"),
    Channel.OTHER: N_("Other"),
}
REPORTER_KIND_NAMES = {
    ReporterKind.PATIENT: N_("Patient or consumer"),
    ReporterKind.PHARMACIST: N_("Pharmacist"),
    ReporterKind.PHYSICIAN: N_("Physician"),
    ReporterKind.NURSE: N_("Nurse"),
    ReporterKind.HOSPITAL: N_("Hospital"),
    ReporterKind.PHARMACY: N_("Pharmacy"),
    ReporterKind.DISTRIBUTOR: N_("Distributor"),
    ReporterKind.AUTHORITY: N_("Authority"),
    ReporterKind.OTHER: N_("Other"),
}
COMPLAINT_CATEGORY_NAMES: dict[str, str] = {
    Category.QUALITY_DEFECT: N_("Quality defect"),
    Category.ADVERSE_EVENT: N_("Adverse event"),
    Category.COUNTERFEIT: N_("Suspected counterfeit"),
    Category.LACK_OF_EFFICACY: N_("Lack of efficacy"),
    Category.PACKAGING: N_("Packaging or labelling"),
    Category.OTHER: N_("Other"),
    UNTRIAGED: N_("Not triaged yet"),
}
SEVERITY_NAMES = {
    Severity.CRITICAL: N_("Critical"),
    Severity.MAJOR: N_("Major"),
    Severity.MINOR: N_("Minor"),
}
# Reports a complaint owes an authority and the register's filter.
OBLIGATION_KIND_NAMES = {
    "field_alert": N_("Field alert report"),
    "adverse_event_report": N_("Adverse event report"),
    "illegitimate_product": N_("Illegitimate product notification"),
}
OPEN_OBLIGATION_NAMES = {
    OpenObligation.DUE: N_("Report due within 24 hours or overdue"),
    OpenObligation.OVERDUE: N_("Report overdue"),
}

# Investigations --------------------------------------------------------------------------------

INVESTIGATION_STATUS_NAMES = {
    InvestigationStatus.OPEN: N_("Open"),
    InvestigationStatus.CONCLUDED: N_("Concluded"),
}
# The six Ms of an Ishikawa diagram.
ROOT_CAUSE_NAMES = {
    RootCauseCategory.MAN: N_("Man (people)"),
    RootCauseCategory.MACHINE: N_("Machine (equipment)"),
    RootCauseCategory.MATERIAL: N_("Material"),
    RootCauseCategory.METHOD: N_("Method (procedure)"),
    RootCauseCategory.MEASUREMENT: N_("Measurement"),
    RootCauseCategory.ENVIRONMENT: N_("Environment"),
}
CAPA_KIND_NAMES = {
    CapaKind.CORRECTIVE: N_("Corrective"),
    CapaKind.PREVENTIVE: N_("Preventive"),
}
# ICH Q9-style bands of an investigation's risk priority (see recall.investigations.risk_level).
RISK_LEVEL_NAMES = {
    RiskLevel.LOW: N_("Low risk"),
    RiskLevel.MEDIUM: N_("Medium risk"),
    RiskLevel.HIGH: N_("High risk"),
}

# Recalls and their notices ---------------------------------------------------------------------

RECALL_STATUS_NAMES = {
    RecallStatus.PROPOSED: N_("Proposed, waiting for approval"),
    RecallStatus.IN_PROGRESS: N_("In progress"),
    RecallStatus.CLOSED: N_("Closed"),
}
CLASS_NAMES = {
    RecallClass.I: N_("Class I — may cause serious harm or death"),
    RecallClass.II: N_("Class II — may cause temporary or reversible harm"),
    RecallClass.III: N_("Class III — unlikely to cause harm"),
}
TYPE_NAMES = {
    RecallType.VOLUNTARY: N_("Voluntary (our decision)"),
    RecallType.MANDATORY: N_("Mandatory (ordered by the authority)"),
}
DEPTH_NAMES = {
    Depth.WHOLESALE: N_("Wholesale — distributors (PBF)"),
    Depth.RETAIL: N_("Retail — pharmacies, hospitals, clinics"),
    Depth.CONSUMER: N_("Consumer — patients"),
}
PROFILE_NAMES = {
    "bpom": N_("BPOM (Indonesia)"),
    "fda": N_("FDA (United States)"),
    "eu": N_("EU (European Union)"),
}
# The authorities as the shipped profiles name them; an installation's own profile is shown
# as it names itself.
AUTHORITY_NAMES = (
    N_("Badan Pengawas Obat dan Makanan"),
    N_("U.S. Food and Drug Administration"),
    N_("EU competent authority"),
)
DEADLINE_NAMES = {
    "notify_consignees": N_("Notify every consignee"),
    "initial_report": N_("Initial report to the authority"),
    "wholesale_complete": N_("Wholesale level complete"),
    "retail_complete": N_("Retail level complete"),
    "status_report": N_("First status report"),
}
# The recall strategy's public warning (21 CFR 7.42(b)(2)) and what the authorities were sent.
PUBLIC_WARNING_NAMES = {
    PublicWarningLevel.NONE: N_("No public warning"),
    PublicWarningLevel.SPECIALISED: N_("Specialised press and professional bodies"),
    PublicWarningLevel.GENERAL: N_("General news media"),
}
DEADLINE_BASIS_NAMES = {
    DeadlineBasis.ORDER: N_("From the order letter"),
    DeadlineBasis.APPROVAL: N_("From approval"),
    DeadlineBasis.AMENDMENT: N_("From the amendment"),
}
# How a recall's or a complaint's report reached the authority.
SUBMISSION_CHANNEL_NAMES = {
    SubmissionChannel.PORTAL: N_("Authority's portal"),
    SubmissionChannel.EMAIL: N_("E-mail"),
    SubmissionChannel.LETTER: N_("Letter"),
    SubmissionChannel.HAND_DELIVERY: N_("Delivered by hand"),
    SubmissionChannel.OTHER: N_("Other"),
}
SUBMISSION_KIND_NAMES = {
    SubmissionKind.INITIAL_REPORT: N_("Initial report"),
    SubmissionKind.STATUS_REPORT: N_("Status (progress) report"),
    SubmissionKind.FINAL_REPORT: N_("Final report"),
    SubmissionKind.TERMINATION_REQUEST: N_("Request to end the recall"),
    SubmissionKind.PUBLIC_WARNING: N_("Public warning"),
}
SIGNATURE_NAMES = {
    "approve": N_("Approval"),
    "close": N_("Closure"),
    "override_deadline": N_("Deadline override"),
}
ALERT_NAMES = {
    "delivery_failed": N_("Delivery failed"),
    "unreachable": N_("No address: phone the consignee"),
    "deadline_passed": N_("Deadline passed"),
    "effectiveness_check_failed": N_("Effectiveness check failed"),
    "obligation_due": N_("Report to an authority due"),
    "capa_ineffective": N_("CAPA found ineffective: open again"),
}
NOTICE_STATUS_NAMES = {
    NoticeStatus.PENDING: N_("Waiting to be sent"),
    NoticeStatus.SENT: N_("Notified"),
    NoticeStatus.FAILED: N_("Delivery failed"),
    NoticeStatus.ACKNOWLEDGED: N_("Acknowledged"),
    NoticeStatus.RESPONDED: N_("Responded"),
}
NOTICE_CHANNEL_NAMES = {"webhook": N_("Webhook"), "email": N_("E-mail")}

# Master data -----------------------------------------------------------------------------------

CONSIGNEE_KIND_NAMES = {
    ConsigneeKind.PBF: N_("Wholesaler (PBF)"),
    ConsigneeKind.HOSPITAL: N_("Hospital"),
    ConsigneeKind.PHARMACY: N_("Pharmacy"),
    ConsigneeKind.CLINIC: N_("Clinic"),
    ConsigneeKind.DRUGSTORE: N_("Drugstore"),
    ConsigneeKind.OTHER: N_("Other"),
}
# Where a consignee is: its market (country) and, in Indonesia, its official province.
PLACE_NAMES = {"country": N_("Country"), "province": N_("Province")}
IMPORT_STATUS_NAMES = {
    ImportStatus.QUEUED: N_("Waiting to start"),
    ImportStatus.CHECKING: N_("Checking lines"),
    ImportStatus.WRITING: N_("Writing shipments"),
    ImportStatus.DONE: N_("Imported"),
    ImportStatus.FAILED: N_("Not imported"),
    ImportStatus.INTERRUPTED: N_("Interrupted"),
}
# Problems of a shipments file not in one CSV column.
IMPORT_COLUMN_NAMES = {
    "header": N_("header line"),
    "line": N_("whole line"),
    "file": N_("whole file"),
}

# The audit trail -------------------------------------------------------------------------------

# The records the trail names, as the use cases write them.
AUDIT_ENTITY_NAMES = {
    "complaint": N_("Complaint"),
    "investigation": N_("Investigation"),
    "capa": N_("CAPA"),
    "recall": N_("Recall"),
    "notice": N_("Recall notice"),
    "alert": N_("Alert"),
    "destruction": N_("Destruction"),
    "effectiveness_check": N_("Effectiveness check"),
    "effectiveness_contact": N_("Effectiveness check contact"),
    "product": N_("Product"),
    "batch": N_("Batch"),
    "material_lot": N_("Material lot"),
    "consignee": N_("Consignee"),
    "shipment": N_("Shipment"),
    "shipment_import": N_("Shipments upload"),
    "user": N_("User"),
    "api_key": N_("API key"),
}
AUDIT_ACTION_NAMES = {
    "created": N_("Created"),
    "updated": N_("Updated"),
    "corrected": N_("Corrected"),
    "triaged": N_("Triaged"),
    "attached_to_investigation": N_("Attached to an investigation"),
    "opened": N_("Opened"),
    "concluded": N_("Concluded"),
    "completed": N_("Completed"),
    "closed": N_("Closed"),
    "proposed": N_("Proposed"),
    "approved": N_("Approved"),
    "signature_refused": N_("Signature refused"),
    "status_report_filed": N_("Status report filed"),
    "submission_recorded": N_("Submission to the authority recorded"),
    "public_warning_recorded": N_("Public warning recorded"),
    "deadline_overridden": N_("Deadline overridden"),
    "reminders_sent": N_("Reminders sent"),
    "deadline_passed": N_("Deadline passed"),
    "sent": N_("Sent"),
    "delivery_failed": N_("Delivery failed"),
    "acknowledged": N_("Acknowledged"),
    "stock_reported": N_("Stock reported"),
    "returns_recorded": N_("Returns recorded"),
    "sub_consignees_named": N_("Customers named"),
    "line_added": N_("Batch added"),
    "raised": N_("Raised"),
    "replied": N_("Replied"),
    "started": N_("Started"),
    "recorded": N_("Recorded"),
    "imported": N_("Imported"),
    "material_added": N_("Material added"),
    "api_key_created": N_("API key created"),
    "api_key_revoked": N_("API key revoked"),
    "full_name_changed": N_("Full name changed"),
    "roles_changed": N_("Roles changed"),
    "deactivated": N_("Deactivated"),
    "reactivated": N_("Reactivated"),
    "password_reset": N_("Password reset by an administrator"),
    "password_changed": N_("Password changed by the user"),
    "signature_lockout": N_("Signing locked after wrong passwords"),
    "sign_in_locked": N_("Sign-in locked after failed attempts"),
    "obligation_submitted": N_("Report to the authority recorded"),
    "obligation_alerted": N_("QA alerted: report to the authority due"),
}
# A complaint's history says what its entries mean for the complaint.
COMPLAINT_ACTION_NAMES = {
    "created": N_("Logged"),
    "triaged": AUDIT_ACTION_NAMES["triaged"],
    "replied": N_("Reply recorded"),
    "attached_to_investigation": AUDIT_ACTION_NAMES["attached_to_investigation"],
    "closed": AUDIT_ACTION_NAMES["closed"],
    "obligation_submitted": AUDIT_ACTION_NAMES["obligation_submitted"],
    "obligation_alerted": AUDIT_ACTION_NAMES["obligation_alerted"],
}
# What the chain check reports, as the verification names it.
CHAIN_PROBLEMS = {
    "entry missing": N_("an entry is missing"),
    "chain broken": N_("the link to the entry before it is broken"),
    "entry altered": N_("the entry was altered"),
    "entries removed from the end": N_("entries were removed from the end"),
    "head moved": N_("the chain's tip was moved back"),
    "older key": N_("it was written with an older key than the entry before it"),
    "unknown key": N_("its key is unknown (RECALL_PREVIOUS_SECRET_KEYS)"),
    "checkpoint altered": N_("a checkpoint file outside the database was altered"),
}

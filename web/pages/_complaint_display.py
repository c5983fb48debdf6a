"""What every complaint page shows alike: coded values as words, dates, the product choice."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request
from litestar.params import Parameter

from recall import masterdata
from recall.complaints import UNTRIAGED, Category, Channel, ComplaintStatus, ReporterKind, Severity
from web.pages.render import N_, gettext_for

PRODUCTS_SHOWN = 1000

STATUS_NAMES = {
    ComplaintStatus.RECEIVED: N_("Received"),
    ComplaintStatus.TRIAGED: N_("Triaged"),
    ComplaintStatus.UNDER_INVESTIGATION: N_("Under investigation"),
    ComplaintStatus.CLOSED: N_("Closed"),
}
STATUS_LOOKS = {"received": "warn", "triaged": "", "under_investigation": "", "closed": "ok"}
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
CATEGORY_NAMES: dict[str, str] = {
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
# What each audit entry of a complaint records, as the use cases name it.
ACTION_NAMES = {
    "created": N_("Logged"),
    "triaged": N_("Triaged"),
    "replied": N_("Reply recorded"),
    "attached_to_investigation": N_("Attached to an investigation"),
    "closed": N_("Closed"),
}

Text = Annotated[str | None, Parameter(max_length=200, required=False)]


def names(request: Request[Any, Any, Any]) -> dict[str, dict[str, str]]:
    """The reader's words for every coded value a complaint holds."""
    _ = gettext_for(request)

    def translated(table: dict[Any, str]) -> dict[str, str]:
        return {str(key): _(text) for key, text in table.items()}

    return {
        "status": translated(STATUS_NAMES),
        "channel": translated(CHANNEL_NAMES),
        "reporter_kind": translated(REPORTER_KIND_NAMES),
        "category": translated(CATEGORY_NAMES),
        "severity": translated(SEVERITY_NAMES),
        "action": translated(ACTION_NAMES),
    }


def local_date(day: date | None) -> str:
    return f"{day:%d-%m-%Y}" if day else ""


async def _product_options() -> list[tuple[str, str]]:
    products, _total = await masterdata.list_products(PRODUCTS_SHOWN)
    return [(p.gtin, f"{p.name} {p.strength} · {p.gtin}") for p in products]

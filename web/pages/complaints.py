"""Pages: complaints — intake from a pack's barcode, the complaint file, triage, the register.

Intake lives in _complaint_intake, the complaint file and its forms in _complaint_file, and what
every complaint page shows alike in _complaint_display; ROUTES gathers them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import Parameter
from litestar.response import Template

from recall import complaints
from recall.actors import Actor, Role
from recall.complaints import (
    Channel,
    Complaint,
    ComplaintStatus,
    RegisterFilter,
    ReporterKind,
    Severity,
)
from recall.errors import InvalidInput
from recall.rules import MAX_ID
from recall.settings import get_settings
from web.pages._complaint_display import Text, _product_options, names
from web.pages._complaint_file import (
    close_complaint,
    complaint_file,
    record_obligation_submission,
    reply_to_complaint,
    triage_complaint,
)
from web.pages._complaint_intake import log_complaint, new_complaint
from web.pages.export import FormatParameter, download
from web.pages.forms import FormState, QueryForm, typed_day
from web.pages.labels import (
    CHANNEL_NAMES,
    COMPLAINT_CATEGORY_NAMES,
    COMPLAINT_STATUS_NAMES,
    REPORTER_KIND_NAMES,
    SEVERITY_NAMES,
)
from web.pages.render import N_, gettext_for, local_time, page
from web.pages.session import signed_in
from web.security import READ_ALL

PAGE_SIZE = 25

EXPORT_HEADERS = [
    N_("Reference"),
    N_("Received"),
    N_("Status"),
    N_("Channel"),
    N_("Reporter name"),
    N_("Reporter kind"),
    N_("Organisation"),
    N_("Contact"),
    N_("Product"),
    N_("Strength"),
    N_("GTIN"),
    N_("Batch"),
    N_("Batch in our records"),
    N_("Expiry"),
    N_("Serial number"),
    N_("Description"),
    N_("Adverse event"),
    N_("Sample available"),
    N_("Category"),
    N_("Severity"),
    N_("Investigate"),
    N_("Reason for no investigation"),
    N_("Closed"),
    N_("Resolution"),
]

Offset = Annotated[int, Parameter(ge=0, le=MAX_ID)]


# The register --------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterQuery(QueryForm):
    """The query string of /complaints and its export, as typed."""

    q: str = ""
    status: str = ""
    category: str = ""
    gtin: str = ""
    batch_no: str = ""
    received_from: str = ""
    received_to: str = ""
    adverse_event: str = ""
    obligation: str = ""

    @classmethod
    def of(cls, *typed: str | None) -> RegisterQuery:
        """The query values in the order of the fields, blanks as empty."""
        return cls(*[(value or "").strip() for value in typed])

    def register_filter(self) -> RegisterFilter:
        """The domain's filter; InvalidInput names what cannot be read."""
        return RegisterFilter(
            q=self.q or None,
            status=self.status or None,
            category=self.category or None,
            gtin=self.gtin or None,
            batch_no=self.batch_no or None,
            received_from=typed_day(self.received_from, "received_from"),
            received_to=typed_day(self.received_to, "received_to"),
            adverse_event_only=self.adverse_event == "true",
            time_zone=get_settings().time_zone,
            obligation=self.obligation or None,
        )


@get("/complaints", guards=[signed_in, READ_ALL], include_in_schema=False)
async def complaint_register(
    request: Request[Actor, Any, Any],
    q: Text = None,
    status: Text = None,
    category: Text = None,
    gtin: Text = None,
    batch_no: Text = None,
    received_from: Text = None,
    received_to: Text = None,
    adverse_event: Text = None,
    obligation: Text = None,
    offset: Offset = 0,
) -> Template:
    typed = (q, status, category, gtin, batch_no, received_from, received_to, adverse_event,
             obligation)  # fmt: skip
    selection = RegisterQuery.of(*typed)
    form = FormState(values=selection.values)
    items: list[Complaint] = []
    total, status_code = 0, 200
    try:
        items, total = await complaints.complaint_register(
            selection.register_filter(), PAGE_SIZE, offset
        )
    except InvalidInput as exc:
        text = exc.detail.removeprefix(f"{exc.field}: ")
        form = FormState(values=form.values, error_field=exc.field, error_text=text)
        status_code = 422
    zone = get_settings().time_zone
    return page(
        request,
        "complaints/list.html",
        {
            "items": items,
            "total": total,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "form": form,
            "query": selection.query(),
            "filtered": bool(selection.values),
            "more_filters": bool(set(selection.values) - {"q", "status", "obligation"})
            or form.error_field,
            "obligations": await complaints.open_obligations([c.id for c in items]),
            "products": await _product_options(),
            "names": names(request),
            "when": lambda moment: local_time(moment, zone),
            "can_log": request.user.has(Role.CS, Role.QA),
        },
        status_code=status_code,
    )


def _register_row(complaint: Complaint, _: Callable[[str], str]) -> list[Any]:
    reporter = complaint.reporter
    return [
        complaint.reference,
        complaint.received_at,
        _(COMPLAINT_STATUS_NAMES[ComplaintStatus(complaint.status)]),
        _(CHANNEL_NAMES[Channel(complaint.channel)]),
        reporter.name,
        _(REPORTER_KIND_NAMES[ReporterKind(reporter.kind)]),
        reporter.organization,
        reporter.contact,
        complaint.product_name,
        complaint.product_strength,
        complaint.gtin,
        complaint.batch_no,
        complaint.batch_known,
        complaint.expires_on,
        complaint.serial,
        complaint.description,
        complaint.adverse_event,
        complaint.sample_available,
        _(COMPLAINT_CATEGORY_NAMES[complaint.category]) if complaint.category else None,
        _(SEVERITY_NAMES[Severity(complaint.severity)]) if complaint.severity else None,
        complaint.investigate,
        complaint.triage_reason,
        complaint.closed_at,
        complaint.resolution,
    ]


@get("/complaints/export", guards=[signed_in, READ_ALL], include_in_schema=False)
async def export_register(
    request: Request[Actor, Any, Any],
    format: FormatParameter,
    q: Text = None,
    status: Text = None,
    category: Text = None,
    gtin: Text = None,
    batch_no: Text = None,
    received_from: Text = None,
    received_to: Text = None,
    adverse_event: Text = None,
    obligation: Text = None,
) -> Response[Any]:
    """The complaint register as /complaints shows it for the same filter, every page."""
    _ = gettext_for(request)
    typed = (q, status, category, gtin, batch_no, received_from, received_to, adverse_event,
             obligation)  # fmt: skip
    selection = RegisterQuery.of(*typed)
    try:
        register = selection.register_filter()
        rows = [_register_row(c, _) async for c in complaints.whole_register(register)]
    except InvalidInput as exc:
        return page(
            request,
            "message.html",
            {"title": _("Not exported"), "text": exc.detail},
            status_code=422,
        )
    return download("complaint-register", format, [_(h) for h in EXPORT_HEADERS], rows)


ROUTES: list[Any] = [
    complaint_register,
    export_register,
    new_complaint,
    log_complaint,
    complaint_file,
    triage_complaint,
    reply_to_complaint,
    close_complaint,
    record_obligation_submission,
]

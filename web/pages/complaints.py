"""Pages: complaints — intake from a pack's barcode, the complaint file, triage, the register."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Template

from recall import complaints, investigations, masterdata
from recall.auth import Actor, Role
from recall.complaints import (
    UNTRIAGED,
    Category,
    Channel,
    Complaint,
    ComplaintStatus,
    RegisterFilter,
    ReporterKind,
    Severity,
)
from recall.complaints.models import check_closable
from recall.errors import Conflict, InvalidInput
from recall.rules import MAX_ID
from recall.settings import get_settings
from web.api.complaints import ComplaintClose, ComplaintCreate, ComplaintTriage, ReplyCreate
from web.bad_input import parse_day
from web.pages.export import FormatParameter, download
from web.pages.forms import FormState, read
from web.pages.render import HEADERS, N_, gettext_for, local_time, page
from web.pages.session import signed_in
from web.security import COMPLAINT_INTAKE, QA_ONLY, READ_ALL

PAGE_SIZE = 25
PRODUCTS_SHOWN = 1000
VERSION_FIELD = "version"

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

Text = Annotated[str | None, Parameter(max_length=200, required=False)]
Offset = Annotated[int, Parameter(ge=0, le=MAX_ID)]


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


def _ticked(form: FormMultiDict, name: str) -> bool:
    """A checkbox: sent as "true" when ticked, absent when not."""
    return str(form.get(name, "")) == "true"


async def _product_options() -> list[tuple[str, str]]:
    products, _total = await masterdata.list_products(PRODUCTS_SHOWN)
    return [(p.gtin, f"{p.name} {p.strength} · {p.gtin}") for p in products]


# Logging a complaint -------------------------------------------------------------------


async def _intake_form(
    request: Request[Actor, Any, Any],
    form: FormState,
    *,
    status_code: int = 200,
    preview: complaints.ScanPreview | None = None,
) -> Template:
    barcode = form.value("barcode").strip()
    if preview is None and barcode and not form.has_error("barcode"):
        # The scan read before is shown again beside a refused form; it was valid then.
        with contextlib.suppress(InvalidInput):
            preview = await complaints.preview_scan(barcode)
    if form.error_field:
        focus = form.error_field
    elif preview is not None:
        focus = "reporter.name"
    else:
        focus = "barcode"
    return page(
        request,
        "complaints/new.html",
        {
            "form": form,
            "preview": preview,
            "focus": focus,
            "products": await _product_options(),
            "names": names(request),
            "local_date": local_date,
        },
        status_code=status_code,
    )


@get("/complaints/new", guards=[signed_in, COMPLAINT_INTAKE], include_in_schema=False)
async def new_complaint(request: Request[Actor, Any, Any]) -> Template:
    return await _intake_form(request, FormState())


async def _read_barcode(request: Request[Actor, Any, Any], form: FormMultiDict) -> Template:
    """The form again with product and batch taken from the scan, for CS to check."""
    values = {name: str(value) for name, value in form.items() if not name.startswith("_")}
    if not values.get("barcode", "").strip():
        # Enter pressed in another field of a complaint without a pack code: nothing to read.
        return await _intake_form(request, FormState(values=values))
    try:
        preview = await complaints.preview_scan(values["barcode"])
    except InvalidInput as exc:
        return await _intake_form(request, FormState.failed(form, exc), status_code=422)
    values["gtin"] = preview.gtin
    if preview.batch_no:
        values["batch_no"] = preview.batch_no
    return await _intake_form(request, FormState(values=values), preview=preview)


@post("/complaints", guards=[signed_in, COMPLAINT_INTAKE], include_in_schema=False)
async def log_complaint(request: Request[Actor, Any, Any]) -> Template | Redirect:
    form = await request.form()
    # "Read barcode" is the first button, so Enter after a scan fills the form, never logs it.
    if form.get("_read") is not None:
        return await _read_barcode(request, form)
    try:
        data = read(
            form,
            ComplaintCreate,
            adverse_event=_ticked(form, "adverse_event"),
            sample_available=_ticked(form, "sample_available"),
        )
        reporter = data.reporter
        complaint = await complaints.log_complaint(
            request.user,
            channel=data.channel.value,
            reporter=complaints.Reporter(
                reporter.name, reporter.kind.value, reporter.organization, reporter.contact
            ),
            description=data.description,
            adverse_event=data.adverse_event,
            sample_available=data.sample_available,
            gtin=data.gtin,
            batch_no=data.batch_no,
            barcode=data.barcode,
        )
    except InvalidInput as exc:
        return await _intake_form(request, FormState.failed(form, exc), status_code=422)
    return Redirect(f"/complaints/{complaint.id}?logged=1", status_code=303, headers=HEADERS)


# One complaint -------------------------------------------------------------------------


@dataclass
class Forms:
    """The forms of the complaint page; a refused one comes back with its values and error."""

    states: dict[str, FormState] = field(default_factory=dict)
    conflict: str | None = None

    def __getitem__(self, name: str) -> FormState:
        return self.states.get(name) or FormState()


async def _closable(complaint: Complaint) -> bool:
    """Whether the domain would close it now: the close form is offered only then."""
    investigation_status = None
    if complaint.investigation_id is not None:
        investigation = await investigations.get_investigation(complaint.investigation_id)
        investigation_status = investigation.status
    try:
        check_closable(complaint.status, complaint.investigate, investigation_status)
    except Conflict:
        return False
    return True


async def _complaint_page(
    request: Request[Actor, Any, Any],
    complaint_id: FromPath[int],
    forms: Forms | None = None,
    *,
    status_code: int = 200,
    logged: bool = False,
) -> Template:
    complaint = await complaints.get_complaint(complaint_id)
    history = await complaints.complaint_history(complaint.id)
    duplicates = await complaints.possible_duplicates(complaint)
    zone = get_settings().time_zone
    user = request.user
    is_qa = user.has(Role.QA)
    return page(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "history": history,
            "duplicates": duplicates,
            "forms": forms or Forms(),
            "names": names(request),
            "when": lambda moment: local_time(moment, zone),
            "local_date": local_date,
            "logged": logged,
            "can_triage": is_qa and complaint.status == ComplaintStatus.RECEIVED,
            "can_close": is_qa and await _closable(complaint),
            "can_reply": user.has(Role.CS, Role.QA) and complaint.status != ComplaintStatus.CLOSED,
            "can_investigate": (
                is_qa
                and complaint.status == ComplaintStatus.TRIAGED
                and bool(complaint.investigate)
            ),
            "sees_audit": user.has(Role.QA, Role.QA_MANAGER, Role.INSPECTOR, Role.ADMIN),
        },
        status_code=status_code,
    )


@get("/complaints/{complaint_id:int}", guards=[signed_in, READ_ALL], include_in_schema=False)
async def complaint_file(
    request: Request[Actor, Any, Any], complaint_id: FromPath[int], logged: Text = None
) -> Template:
    return await _complaint_page(request, complaint_id, logged=bool(logged))


async def _refused(
    request: Request[Actor, Any, Any],
    complaint_id: FromPath[int],
    name: str,
    form: FormMultiDict,
    exc: InvalidInput | Conflict,
) -> Template:
    """The page again with the refused form's values and why (422 a field, 409 the state)."""
    if isinstance(exc, InvalidInput):
        forms = Forms({name: FormState.failed(form, exc)})
        return await _complaint_page(request, complaint_id, forms, status_code=422)
    values = {key: str(value) for key, value in form.items() if not key.startswith("_")}
    forms = Forms({name: FormState(values=values)}, conflict=exc.detail)
    return await _complaint_page(request, complaint_id, forms, status_code=409)


def _version(form: FormMultiDict) -> int:
    """The complaint's version the form was shown with."""
    text = str(form.get(VERSION_FIELD, "")).strip()
    if not text.isdigit() or int(text) > MAX_ID:
        raise InvalidInput(VERSION_FIELD, "reload the page and try again")
    return int(text)


def _back_to(complaint_id: int, anchor: str) -> Redirect:
    return Redirect(f"/complaints/{complaint_id}#{anchor}", status_code=303, headers=HEADERS)


@post(
    "/complaints/{complaint_id:int}/triage",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def triage_complaint(
    request: Request[Actor, Any, Any], complaint_id: FromPath[int]
) -> Template | Redirect:
    form = await request.form()
    try:
        data = read(form, ComplaintTriage)
        await complaints.unchanged_complaint(complaint_id, _version(form))
        await complaints.triage_complaint(
            request.user,
            complaint_id,
            category=data.category.value,
            severity=data.severity.value,
            investigate=data.investigate,
            reason=data.reason,
        )
    except (InvalidInput, Conflict) as exc:
        return await _refused(request, complaint_id, "triage", form, exc)
    return _back_to(complaint_id, "triage")


@post(
    "/complaints/{complaint_id:int}/reply",
    guards=[signed_in, COMPLAINT_INTAKE],
    include_in_schema=False,
)
async def reply_to_complaint(
    request: Request[Actor, Any, Any], complaint_id: FromPath[int]
) -> Template | Redirect:
    form = await request.form()
    try:
        data = read(form, ReplyCreate)
        await complaints.reply_to_complaint(request.user, complaint_id, data.text)
    except (InvalidInput, Conflict) as exc:
        return await _refused(request, complaint_id, "reply", form, exc)
    return _back_to(complaint_id, "replies")


@post(
    "/complaints/{complaint_id:int}/close",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def close_complaint(
    request: Request[Actor, Any, Any], complaint_id: FromPath[int]
) -> Template | Redirect:
    form = await request.form()
    try:
        data = read(form, ComplaintClose)
        await complaints.unchanged_complaint(complaint_id, _version(form))
        await complaints.close_complaint(request.user, complaint_id, data.resolution)
    except (InvalidInput, Conflict) as exc:
        return await _refused(request, complaint_id, "close", form, exc)
    return _back_to(complaint_id, "top")


# The register --------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterQuery:
    """The query string of /complaints and its export, as typed."""

    q: str = ""
    status: str = ""
    category: str = ""
    gtin: str = ""
    batch_no: str = ""
    received_from: str = ""
    received_to: str = ""
    adverse_event: str = ""

    @classmethod
    def of(cls, **typed: str | None) -> RegisterQuery:
        return cls(**{name: (value or "").strip() for name, value in typed.items()})

    def query(self, **more: Any) -> str:
        pairs = {**self.__dict__, **more}
        return urlencode({key: value for key, value in pairs.items() if value})

    @property
    def values(self) -> dict[str, str]:
        return {key: value for key, value in self.__dict__.items() if value}

    def register_filter(self) -> RegisterFilter:
        """The domain's filter; InvalidInput names what cannot be read."""
        return RegisterFilter(
            q=self.q or None,
            status=self.status or None,
            category=self.category or None,
            gtin=self.gtin or None,
            batch_no=self.batch_no or None,
            received_from=_day(self.received_from, "received_from"),
            received_to=_day(self.received_to, "received_to"),
            adverse_event_only=self.adverse_event == "true",
            time_zone=get_settings().time_zone,
        )


def _day(text: str, name: str) -> date | None:
    return parse_day(name, text) if text else None


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
    offset: Offset = 0,
) -> Template:
    selection = RegisterQuery.of(
        q=q,
        status=status,
        category=category,
        gtin=gtin,
        batch_no=batch_no,
        received_from=received_from,
        received_to=received_to,
        adverse_event=adverse_event,
    )
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
            "more_filters": bool(set(selection.values) - {"q", "status"}) or form.error_field,
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
        _(STATUS_NAMES[ComplaintStatus(complaint.status)]),
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
        _(CATEGORY_NAMES[complaint.category]) if complaint.category else None,
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
) -> Response[Any]:
    """The complaint register as /complaints shows it for the same filter, every page."""
    _ = gettext_for(request)
    selection = RegisterQuery.of(
        q=q,
        status=status,
        category=category,
        gtin=gtin,
        batch_no=batch_no,
        received_from=received_from,
        received_to=received_to,
        adverse_event=adverse_event,
    )
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
]

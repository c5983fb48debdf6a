"""Complaint pages: the complaint file and its forms (triage, reply, close)."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath
from litestar.response import Template

from recall import clock, complaints, investigations, masterdata
from recall.actors import Actor, Role
from recall.complaints import Complaint, ComplaintStatus
from recall.errors import InvalidInput
from recall.rules import MAX_ID
from recall.settings import get_settings
from web.api.complaints import ComplaintClose, ComplaintTriage, ReplyCreate
from web.api.schemas import command
from web.pages._complaint_display import Text, local_date, names
from web.pages.attachments import attachments_context
from web.pages.forms import FormsPage, PageForms, in_words, local_input, local_moment, read
from web.pages.render import N_, local_time, page
from web.pages.session import signed_in
from web.security import COMPLAINT_INTAKE, QA_ONLY, QA_STAFF, READ_ALL

VERSION_FIELD = "version"
# The refusals of the report submission form, worded for the catalogues.
OBLIGATION_REFUSALS = (
    N_("choose the report that was sent"),
    N_("must not be before the complaint was received"),
    N_("must not be in the future"),
    N_("must not be empty"),
    N_("required"),
)


async def _closable(complaint: Complaint) -> bool:
    """Whether the domain would close it now: the close form is offered only then."""
    return await investigations.complaint_closable(complaint)


async def _complaint_page(
    request: Request[Actor, Any, Any],
    complaint_id: FromPath[int],
    forms: PageForms | None = None,
    *,
    status_code: int = 200,
    logged: bool = False,
) -> Template:
    complaint = await complaints.get_complaint(complaint_id)
    history = await complaints.complaint_history(complaint.id)
    duplicates = await complaints.possible_duplicates(complaint)
    obligations = await complaints.complaint_obligations(complaint.id)
    words = names(request)
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
            "obligations": obligations,
            "obligation_choices": _obligation_choices(obligations, words["obligation"]),
            "can_submit": user.has(Role.QA, Role.QA_MANAGER),
            "now_local": local_input(clock.now()),
            "forms": forms or PageForms(),
            "names": words,
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
            "attachments": await attachments_context(request, "complaint", complaint.id),
            "batch": await masterdata.get_batch(complaint.batch_id) if complaint.batch_id else None,
        },
        status_code=status_code,
    )


def _obligation_choices(
    obligations: list[complaints.Obligation], kinds: dict[str, str]
) -> list[tuple[str, str]]:
    """The reports not yet submitted, as the submission form offers them."""
    return [
        (f"{o.kind}:{o.profile}", f"{kinds.get(o.kind, o.kind)} · {o.authority} ({o.form})")
        for o in obligations
        if o.submitted_at is None
    ]


@get("/complaints/{complaint_id:int}", guards=[signed_in, READ_ALL], include_in_schema=False)
async def complaint_file(
    request: Request[Actor, Any, Any], complaint_id: FromPath[int], logged: Text = None
) -> Template:
    return await _complaint_page(request, complaint_id, logged=bool(logged))


def _forms_page(request: Request[Actor, Any, Any], complaint_id: int) -> FormsPage:
    return FormsPage(f"/complaints/{complaint_id}", partial(_complaint_page, request, complaint_id))


def _version(form: FormMultiDict) -> int:
    """The complaint's version the form was shown with."""
    text = str(form.get(VERSION_FIELD, "")).strip()
    if not text.isdigit() or int(text) > MAX_ID:
        raise InvalidInput(VERSION_FIELD, "reload the page and try again")
    return int(text)


@post(
    "/complaints/{complaint_id:int}/triage",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def triage_complaint(
    request: Request[Actor, Any, Any], complaint_id: FromPath[int]
) -> Response[Any]:
    form = await request.form()

    async def triage() -> None:
        data = read(form, ComplaintTriage)
        await complaints.unchanged_complaint(complaint_id, _version(form))
        triage = command(complaints.TriageRequest, data)
        await complaints.triage_complaint(request.user, complaint_id, triage)

    return await _forms_page(request, complaint_id).answer(form, triage, "triage", "triage")


@post(
    "/complaints/{complaint_id:int}/reply",
    guards=[signed_in, COMPLAINT_INTAKE],
    include_in_schema=False,
)
async def reply_to_complaint(
    request: Request[Actor, Any, Any], complaint_id: FromPath[int]
) -> Response[Any]:
    form = await request.form()

    async def reply() -> None:
        data = read(form, ReplyCreate)
        await complaints.reply_to_complaint(request.user, complaint_id, data.text)

    return await _forms_page(request, complaint_id).answer(form, reply, "reply", "replies")


@post(
    "/complaints/{complaint_id:int}/close",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def close_complaint(
    request: Request[Actor, Any, Any], complaint_id: FromPath[int]
) -> Response[Any]:
    form = await request.form()

    async def close() -> None:
        data = read(form, ComplaintClose)
        await complaints.unchanged_complaint(complaint_id, _version(form))
        await investigations.close_complaint(request.user, complaint_id, data.resolution)

    return await _forms_page(request, complaint_id).answer(form, close, "close", "top")


@post(
    "/complaints/{complaint_id:int}/obligations",
    guards=[signed_in, QA_STAFF],
    include_in_schema=False,
)
async def record_obligation_submission(
    request: Request[Actor, Any, Any], complaint_id: FromPath[int]
) -> Response[Any]:
    form = await request.form()

    async def submit() -> None:
        # The choice names the report as kind and profile: "field_alert:fda".
        kind, _, profile = str(form.get("obligation", "")).partition(":")
        if not kind or not profile:
            raise InvalidInput("obligation", OBLIGATION_REFUSALS[0])
        if not str(form.get("channel", "")).strip():
            raise InvalidInput("channel", "required")
        typed = str(form.get("submitted_at", ""))
        submission = complaints.ObligationSubmission(
            submitted_at=local_moment(typed, "submitted_at") if typed.strip() else None,
            reference=str(form.get("reference", "")),
            channel=str(form.get("channel", "")),
            authority=profile,
        )
        try:
            await complaints.record_obligation_submission(
                request.user, complaint_id, kind, submission
            )
        except InvalidInput as exc:
            if exc.field != "authority":
                raise
            # The form names the authority through its choice of report.
            raise InvalidInput("obligation", exc.detail.removeprefix("authority: ")) from None

    return await _forms_page(request, complaint_id).answer(
        form, submit, "obligation", "obligations", shown=partial(in_words, request)
    )

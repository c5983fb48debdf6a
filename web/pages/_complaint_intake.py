"""Complaint pages: logging a complaint, from a pack's barcode."""

from __future__ import annotations

import contextlib
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.response import Template

from recall import complaints
from recall.actors import Actor
from recall.errors import InvalidInput
from web.api.complaints import ComplaintCreate
from web.api.schemas import command
from web.pages._complaint_display import _product_options, local_date, names
from web.pages.forms import FormState, form_action, read, typed
from web.pages.render import page, see_other
from web.pages.session import signed_in
from web.security import COMPLAINT_INTAKE


def _ticked(form: FormMultiDict, name: str) -> bool:
    """A checkbox: sent as "true" when ticked, absent when not."""
    return str(form.get(name, "")) == "true"


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
    values = typed(form)
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
async def log_complaint(request: Request[Actor, Any, Any]) -> Response[Any]:
    form = await request.form()
    # "Read barcode" is the first button, so Enter after a scan fills the form, never logs it.
    if form.get("_read") is not None:
        return await _read_barcode(request, form)

    async def log() -> complaints.Complaint:
        data = read(
            form,
            ComplaintCreate,
            adverse_event=_ticked(form, "adverse_event"),
            sample_available=_ticked(form, "sample_available"),
        )
        return await complaints.log_complaint(
            request.user, command(complaints.ComplaintIntake, data)
        )

    return await form_action(
        form,
        log,
        lambda complaint: see_other(f"/complaints/{complaint.id}?logged=1"),
        lambda state, **shown: _intake_form(request, state, **shown),
        refuses=(InvalidInput,),
    )

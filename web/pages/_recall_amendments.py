"""Recall pages: scope amendments of a running recall. QA proposes batches (by number) or a
material lot's batches with a preview of what they add; a QA manager other than the proposer
signs the approval, through the same use cases as the API."""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import PathParameter
from litestar.response import Template

from recall import masterdata, recalls
from recall.actors import Actor, Role
from recall.errors import Conflict, Forbidden, InvalidInput
from recall.recalls import AmendmentStatus, RecallStatus
from web.api.amendments import AmendmentApprove
from web.api.recalls import RecallId
from web.pages._recall_display import _names
from web.pages._recall_signatures import _message, _not_now, _signed
from web.pages.forms import FormState, form_action, in_words, read, typed
from web.pages.proposals import LOTS_LISTED, _lot_option
from web.pages.render import N_, gettext_for, page, see_other
from web.pages.session import signed_in
from web.queue import kick
from web.security import QA_MANAGER_ONLY, QA_ONLY

AmendmentId = Annotated[int, PathParameter(description="The amendment's id")]
AMENDMENT_STATUS_NAMES = {
    AmendmentStatus.PROPOSED.value: N_("Proposed"),
    AmendmentStatus.APPROVED.value: N_("Approved"),
}
BATCH_NOS_MAX = 2000
# Batch numbers are typed one per line, or separated by commas or spaces.
_SEPARATORS = re.compile(r"[\s,;]+")


class AmendmentForm(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(max_length=5000)] | None = None
    batch_nos: Annotated[str, msgspec.Meta(max_length=BATCH_NOS_MAX)] | None = None
    material_lot_id: Annotated[int, msgspec.Meta(ge=1)] | None = None


async def _batch_ids(batch_nos: str) -> list[int]:
    """The batches with these numbers (of any product); 422 `batch_nos` for an unknown one."""
    ids: list[int] = []
    for batch_no in dict.fromkeys(n for n in _SEPARATORS.split(batch_nos) if n):
        found, _total = await masterdata.list_batches(q=batch_no, limit=50)
        same = [batch.id for batch in found if batch.batch_no.casefold() == batch_no.casefold()]
        if not same:
            raise InvalidInput("batch_nos", f"batch {batch_no} not found")
        ids += same
    return ids


async def _scope(data: AmendmentForm) -> tuple[list[int] | None, int | None]:
    """Batch numbers typed, or (none typed) the material lot chosen: the API's fields."""
    typed_nos = (data.batch_nos or "").strip()
    if typed_nos and data.material_lot_id is not None:
        raise InvalidInput("batch_nos", "give batch numbers or a material lot, not both")
    if typed_nos:
        return await _batch_ids(typed_nos), None
    if data.material_lot_id is None:
        raise InvalidInput("batch_nos", "give batch numbers or choose a material lot")
    return None, data.material_lot_id


def _on_the_form(exc: InvalidInput) -> InvalidInput:
    """The domain names batch_ids; the form's field is batch_nos."""
    if exc.field == "batch_ids":
        return InvalidInput("batch_nos", exc.detail.removeprefix("batch_ids: "))
    return exc


async def _form_page(
    request: Request[Actor, Any, Any],
    recall: recalls.Recall,
    form: FormState,
    *,
    preview: tuple[list[masterdata.BatchView], int] | None = None,
    status_code: int = 200,
) -> Template:
    lots, _total = await masterdata.list_material_lots(limit=LOTS_LISTED)
    return page(
        request,
        "recalls/amend.html",
        {
            "recall": recall,
            "form": form,
            "lots": [_lot_option(lot) for lot in lots],
            "preview": preview,
            **_names(request),
        },
        status_code=status_code,
    )


def amendments_context(request: Request[Actor, Any, Any], recall: recalls.Recall) -> dict[str, Any]:
    """What the dashboard's amendments section needs besides the recall."""
    running = recall.status == RecallStatus.IN_PROGRESS
    return {
        "amendment_status_names": AMENDMENT_STATUS_NAMES,
        "may_amend": running and request.user.has(Role.QA),
        "may_sign_amendments": running and request.user.has(Role.QA_MANAGER),
    }


def _not_running(request: Request[Any, Any, Any], recall: recalls.Recall) -> Template:
    reason = N_("%(reference)s cannot be amended: it is %(status)s.")
    return _not_now(request, recall, N_("Cannot be amended"), reason)


@get(
    "/recalls/{recall_id:int}/amendments/new", guards=[signed_in, QA_ONLY], include_in_schema=False
)
async def amendment_form(request: Request[Actor, Any, Any], recall_id: RecallId) -> Template:
    recall = await recalls.get_recall(recall_id)
    if recall.status != RecallStatus.IN_PROGRESS:
        return _not_running(request, recall)
    return await _form_page(request, recall, FormState())


@post(
    "/recalls/{recall_id:int}/amendments/new", guards=[signed_in, QA_ONLY], include_in_schema=False
)
async def propose_amendment(
    request: Request[Actor, Any, Any], recall_id: RecallId
) -> Response[Any]:
    form = await request.form()
    recall = await recalls.get_recall(recall_id)
    if recall.status != RecallStatus.IN_PROGRESS:
        return _not_running(request, recall)
    form_page = partial(_form_page, request, recall)

    async def propose() -> Response[Any]:
        data = read(form, AmendmentForm)
        try:
            batch_ids, lot_id = await _scope(data)
            if form.get("_action") == "preview":
                preview = await recalls.preview_amendment(recall_id, batch_ids, lot_id)
                return await form_page(FormState(values=typed(form)), preview=preview)
            await recalls.propose_amendment(request.user, recall_id, data.reason, batch_ids, lot_id)
        except InvalidInput as exc:
            raise _on_the_form(exc) from None
        return see_other(f"/recalls/{recall_id}")

    async def again(
        state: FormState, *, status_code: int, conflict: str | None = None
    ) -> Template | Response[Any]:
        if conflict is not None:
            return _not_running(request, await recalls.get_recall(recall_id))
        return await form_page(in_words(request, state), preview=None, status_code=status_code)

    return await form_action(
        form, propose, lambda answer: answer, again, refuses=(InvalidInput, Conflict)
    )


# Approval ------------------------------------------------------------------------------------


async def _approval(
    request: Request[Actor, Any, Any],
    recall: recalls.Recall,
    amendment: recalls.Amendment,
    form: FormState,
    status_code: int = 200,
) -> Template:
    return page(
        request,
        "recalls/amendment_approve.html",
        {"recall": recall, "amendment": amendment, "form": form, **_names(request)},
        status_code=status_code,
    )


def _four_eyes(request: Request[Any, Any, Any], recall_id: int) -> Template:
    _ = gettext_for(request)
    text = _("You proposed this amendment. Another QA manager must approve it (four eyes).")
    return _message(request, N_("Not allowed"), text, 403, recall_id)


def _decided(
    request: Request[Any, Any, Any], recall: recalls.Recall, amendment: recalls.Amendment
) -> Template:
    _ = gettext_for(request)
    if recall.status != RecallStatus.IN_PROGRESS:
        return _not_running(request, recall)
    text = _("Amendment %(number)s is not waiting for approval.") % {"number": amendment.number}
    return _message(request, N_("Already decided"), text, 409, recall.id)


@get(
    "/recalls/{recall_id:int}/amendments/{amendment_id:int}/approve",
    guards=[signed_in, QA_MANAGER_ONLY],
    include_in_schema=False,
)
async def amendment_approval_form(
    request: Request[Actor, Any, Any], recall_id: RecallId, amendment_id: AmendmentId
) -> Template:
    amendment = await recalls.get_amendment(recall_id, amendment_id)
    recall = await recalls.get_recall(recall_id)
    if amendment.status != AmendmentStatus.PROPOSED or recall.status != RecallStatus.IN_PROGRESS:
        return _decided(request, recall, amendment)
    if not recalls.may_approve(amendment.proposed_by, request.user):
        return _four_eyes(request, recall_id)
    return await _approval(request, recall, amendment, FormState())


@post(
    "/recalls/{recall_id:int}/amendments/{amendment_id:int}/approve",
    guards=[signed_in, QA_MANAGER_ONLY],
    include_in_schema=False,
    after_response=kick,
)
async def approve_amendment(
    request: Request[Actor, Any, Any], recall_id: RecallId, amendment_id: AmendmentId
) -> Response[Any]:
    form = await request.form()
    amendment = await recalls.get_amendment(recall_id, amendment_id)
    recall = await recalls.get_recall(recall_id)

    async def sign() -> None:
        data = read(form, AmendmentApprove)
        await recalls.approve_amendment(
            request.user, recall_id, amendment_id, data.password, data.meaning
        )

    try:
        return await _signed(
            request,
            recall_id,
            form,
            sign,
            lambda state, code: _approval(request, recall, amendment, state, code),
        )
    except Forbidden:
        return _four_eyes(request, recall_id)
    except Conflict:
        return _decided(
            request,
            await recalls.get_recall(recall_id),
            await recalls.get_amendment(recall_id, amendment_id),
        )


ROUTES: list[Any] = [
    amendment_form,
    propose_amendment,
    amendment_approval_form,
    approve_amendment,
]

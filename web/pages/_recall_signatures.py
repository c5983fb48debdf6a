"""Recall pages: the QA manager's electronic signatures (approval, closure) through the same use
cases as the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from recall import recalls
from recall.actors import Actor
from recall.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, TooManyAttempts
from recall.recalls import RecallStatus, preview_recall
from web.api.closeout import RecallClose
from web.api.recalls import RecallApprove, RecallId
from web.pages._recall_display import _is_open, _names
from web.pages.forms import FormState, read
from web.pages.labels import RECALL_STATUS_NAMES
from web.pages.render import HEADERS, N_, gettext_for, page
from web.pages.session import signed_in
from web.queue import kick
from web.security import QA_MANAGER_ONLY


def _message(
    request: Request[Any, Any, Any], title: str, text: str, status_code: int, recall_id: int
) -> Template:
    _ = gettext_for(request)
    return page(
        request,
        "recalls/refused.html",
        {"title": _(title), "text": text, "recall_id": recall_id},
        status_code=status_code,
    )


def _four_eyes(request: Request[Any, Any, Any], recall_id: RecallId) -> Template:
    _ = gettext_for(request)
    text = _("You proposed this recall. Another QA manager must approve it (four eyes).")
    return _message(request, N_("Not allowed"), text, 403, recall_id)


def _signing_locked(form: Any, _: Any) -> FormState:
    """After five wrong signature passwords in a row the signer waits 15 minutes."""
    text = _("Too many wrong passwords: you cannot sign for 15 minutes.")
    return FormState.failed(form, InvalidInput("password", text))


async def _signed(
    request: Request[Actor, Any, Any],
    recall_id: int,
    form: Any,
    sign: Callable[[], Awaitable[None]],
    again: Callable[[FormState, int], Awaitable[Template]],
) -> Response[Any]:
    """A signature form's answer: back to the recall (303) once `sign()` signed. A refused
    signature shows the form again through `again(state, status_code)`: the reason beside its
    field (422), a wrong password (401), a signer locked out for a while (429, Retry-After).
    The refusals particular to one signature (Forbidden, Conflict) go on to the caller."""
    _ = gettext_for(request)
    try:
        await sign()
    except InvalidInput as exc:
        return await again(FormState.failed(form, exc), 422)
    except NotAuthenticated:
        failed = FormState.failed(form, InvalidInput("password", _("The password is wrong")))
        return await again(failed, 401)
    except TooManyAttempts as exc:
        locked = await again(_signing_locked(form, _), 429)
        locked.set_header("Retry-After", str(exc.retry_after))
        return locked
    return Redirect(f"/recalls/{recall_id}", status_code=303, headers=HEADERS)


async def _approval(
    request: Request[Actor, Any, Any],
    recall: recalls.Recall,
    form: FormState,
    status_code: int = 200,
    error: str | None = None,
) -> Template:
    reached = await preview_recall(
        recall.depth, batch_ids=[batch.id for batch in recall.batches], shown=0
    )
    return page(
        request,
        "recalls/approve.html",
        {"recall": recall, "reached": reached, "form": form, "error": error, **_names(request)},
        status_code=status_code,
    )


def _not_now(
    request: Request[Any, Any, Any], recall: recalls.Recall, title: str, reason: str
) -> Template:
    """Refused for the recall's status (409): `reason` names the recall and its status."""
    _ = gettext_for(request)
    text = _(reason) % {
        "reference": recall.reference,
        "status": _(RECALL_STATUS_NAMES[RecallStatus(recall.status)]).lower(),
    }
    return _message(request, title, text, 409, recall.id)


def _not_proposed(request: Request[Any, Any, Any], recall: recalls.Recall) -> Template:
    reason = N_("%(reference)s is not waiting for approval: it is %(status)s.")
    return _not_now(request, recall, N_("Already decided"), reason)


@get(
    "/recalls/{recall_id:int}/approve",
    guards=[signed_in, QA_MANAGER_ONLY],
    include_in_schema=False,
)
async def approval_form(request: Request[Actor, Any, Any], recall_id: RecallId) -> Template:
    recall = await recalls.get_recall(recall_id)
    if recall.status != RecallStatus.PROPOSED:
        return _not_proposed(request, recall)
    if not recalls.may_approve(recall.proposed_by, request.user):
        return _four_eyes(request, recall_id)
    return await _approval(request, recall, FormState())


@post(
    "/recalls/{recall_id:int}/approve",
    guards=[signed_in, QA_MANAGER_ONLY],
    include_in_schema=False,
    after_response=kick,
)
async def approve(request: Request[Actor, Any, Any], recall_id: RecallId) -> Response[Any]:
    form = await request.form()
    recall = await recalls.get_recall(recall_id)

    async def sign() -> None:
        data = read(form, RecallApprove)
        await recalls.approve_recall(request.user, recall_id, data.password, data.meaning)

    try:
        return await _signed(
            request,
            recall_id,
            form,
            sign,
            lambda state, code: _approval(request, recall, state, code),
        )
    except Forbidden:
        return _four_eyes(request, recall_id)
    except Conflict:
        return _not_proposed(request, await recalls.get_recall(recall_id))


async def _closure(
    request: Request[Actor, Any, Any],
    recall: recalls.Recall,
    form: FormState,
    status_code: int = 200,
    error: str | None = None,
) -> Template:
    return page(
        request,
        "recalls/close.html",
        {
            "recall": recall,
            "reconciliation": await recalls.reconcile(recall.id),
            "form": form,
            "error": error,
            **_names(request),
        },
        status_code=status_code,
    )


def _not_in_progress(request: Request[Any, Any, Any], recall: recalls.Recall) -> Template:
    reason = N_("%(reference)s cannot be closed: it is %(status)s.")
    return _not_now(request, recall, N_("Cannot be closed"), reason)


@get(
    "/recalls/{recall_id:int}/close",
    guards=[signed_in, QA_MANAGER_ONLY],
    include_in_schema=False,
)
async def closure_form(request: Request[Actor, Any, Any], recall_id: RecallId) -> Template:
    recall = await recalls.get_recall(recall_id)
    if not _is_open(recall):
        return _not_in_progress(request, recall)
    return await _closure(request, recall, FormState())


@post(
    "/recalls/{recall_id:int}/close",
    guards=[signed_in, QA_MANAGER_ONLY],
    include_in_schema=False,
)
async def close(request: Request[Actor, Any, Any], recall_id: RecallId) -> Response[Any]:
    form = await request.form()
    recall = await recalls.get_recall(recall_id)
    if not _is_open(recall):
        return _not_in_progress(request, recall)

    async def sign() -> None:
        data = read(form, RecallClose)
        await recalls.close_recall(
            request.user, recall_id, data.password, data.meaning, data.justification
        )

    try:
        return await _signed(
            request,
            recall_id,
            form,
            sign,
            lambda state, code: _closure(request, recall, state, code),
        )
    except Conflict:
        _ = gettext_for(request)
        current = await recalls.get_recall(recall_id)
        if not _is_open(current):
            return _not_in_progress(request, current)
        # Units are still unaccounted for and no justification was given.
        failed = FormState.failed(
            form,
            InvalidInput(
                "justification",
                _("Units are unaccounted for: explain why the recall may close anyway."),
            ),
        )
        return await _closure(request, current, failed, 409)

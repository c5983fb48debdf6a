"""Recall pages: the QA manager's electronic signatures (approval, closure) through the same use
cases as the API."""

from __future__ import annotations

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


def _not_proposed(request: Request[Any, Any, Any], recall: recalls.Recall) -> Template:
    _ = gettext_for(request)
    text = _("%(reference)s is not waiting for approval: it is %(status)s.") % {
        "reference": recall.reference,
        "status": _(RECALL_STATUS_NAMES[RecallStatus(recall.status)]).lower(),
    }
    return _message(request, N_("Already decided"), text, 409, recall.id)


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
    _ = gettext_for(request)
    try:
        data = read(form, RecallApprove)
        await recalls.approve_recall(request.user, recall_id, data.password, data.meaning)
    except InvalidInput as exc:
        return await _approval(request, recall, FormState.failed(form, exc), 422)
    except NotAuthenticated:
        failed = FormState.failed(form, InvalidInput("password", _("The password is wrong")))
        return await _approval(request, recall, failed, 401)
    except TooManyAttempts as exc:
        locked = await _approval(request, recall, _signing_locked(form, _), 429)
        locked.set_header("Retry-After", str(exc.retry_after))
        return locked
    except Forbidden:
        return _four_eyes(request, recall_id)
    except Conflict:
        return _not_proposed(request, await recalls.get_recall(recall_id))
    return Redirect(f"/recalls/{recall_id}", status_code=303, headers=HEADERS)


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
    _ = gettext_for(request)
    text = _("%(reference)s cannot be closed: it is %(status)s.") % {
        "reference": recall.reference,
        "status": _(RECALL_STATUS_NAMES[RecallStatus(recall.status)]).lower(),
    }
    return _message(request, N_("Cannot be closed"), text, 409, recall.id)


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
    _ = gettext_for(request)
    try:
        data = read(form, RecallClose)
        await recalls.close_recall(
            request.user, recall_id, data.password, data.meaning, data.justification
        )
    except InvalidInput as exc:
        return await _closure(request, recall, FormState.failed(form, exc), 422)
    except NotAuthenticated:
        failed = FormState.failed(form, InvalidInput("password", _("The password is wrong")))
        return await _closure(request, recall, failed, 401)
    except TooManyAttempts as exc:
        locked = await _closure(request, recall, _signing_locked(form, _), 429)
        locked.set_header("Retry-After", str(exc.retry_after))
        return locked
    except Conflict:
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
    return Redirect(f"/recalls/{recall_id}", status_code=303, headers=HEADERS)

"""Pages: the recall list, a recall's dashboard with its downloads and PDF report, and the
QA manager's electronic signatures (approval, closure) through the same use cases as the API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from litestar import Request, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from recall import alerts, clock, recalls
from recall.auth import Actor, Role
from recall.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, TooManyAttempts
from recall.notices import NoticeStatus
from recall.notices.overview import (
    ConsigneeFilter,
    ConsigneeRow,
    consignee_rows,
    delivery_failures,
    response_counts,
)
from recall.recalls import RecallStatus
from recall.recalls.overview import batches_by_recall
from recall.recalls.preview import preview_recall
from recall.settings import get_settings
from web.api.closeout import RecallClose
from web.api.recalls import RecallApprove, RecallId
from web.i18n import language_of, translations
from web.pages.export import FormatParameter, download
from web.pages.forms import FormState, read
from web.pages.proposals import CLASS_NAMES, DEPTH_NAMES, KIND_NAMES, PROFILE_NAMES, TYPE_NAMES
from web.pages.render import HEADERS, N_, gettext_for, page
from web.pages.session import signed_in
from web.queue import kick
from web.security import QA_MANAGER_ONLY, QUALITY_READ

# Query values are read leniently: one that means nothing is ignored, never an error page.
Query = Annotated[str | None, QueryParameter()]
PageNumber = Annotated[str | None, QueryParameter(name="page")]

RECALLS_PER_PAGE = 50
CONSIGNEES_PER_PAGE = 100
ALERTS_LISTED = 20
REFRESH_SECONDS = 30

STATUS_NAMES = {
    RecallStatus.PROPOSED: N_("Proposed, waiting for approval"),
    RecallStatus.IN_PROGRESS: N_("In progress"),
    RecallStatus.CLOSED: N_("Closed"),
}
STATUS_STATES = {"proposed": "warn", "in_progress": "", "closed": "ok"}
NOTICE_STATUS_NAMES = {
    NoticeStatus.PENDING: N_("Waiting to be sent"),
    NoticeStatus.SENT: N_("Notified"),
    NoticeStatus.FAILED: N_("Delivery failed"),
    NoticeStatus.ACKNOWLEDGED: N_("Acknowledged"),
    NoticeStatus.RESPONDED: N_("Responded"),
}
NOTICE_STATES = {"failed": "bad", "acknowledged": "", "responded": "ok", "pending": "warn"}
DEADLINE_NAMES = {
    "notify_consignees": N_("Notify every consignee"),
    "initial_report": N_("Initial report to the authority"),
    "wholesale_complete": N_("Wholesale level complete"),
    "retail_complete": N_("Retail level complete"),
    "status_report": N_("First status report"),
}
SIGNATURE_NAMES = {"approve": N_("Approval"), "close": N_("Closure")}
ALERT_NAMES = {
    "delivery_failed": N_("Delivery failed"),
    "unreachable": N_("No address: phone the consignee"),
    "deadline_passed": N_("Deadline passed"),
    "effectiveness_check_failed": N_("Effectiveness check failed"),
}
CHANNEL_NAMES = {"webhook": N_("Webhook"), "email": N_("E-mail")}
CONSIGNEE_COLUMNS = (
    N_("Code"), N_("Consignee"), N_("Kind"), N_("Tier"), N_("Channel"), N_("Status"),
    N_("Overdue"), N_("Respond by"), N_("Notified"), N_("Acknowledged"), N_("Last contact"),
    N_("Received"), N_("On hand"), N_("Returned"), N_("Destroyed"), N_("Unaccounted"),
)  # fmt: skip
RECONCILIATION_COLUMNS = (
    N_("Level"), N_("Batch"), N_("GTIN"), N_("Product"), N_("Produced"), N_("Distributed"),
    N_("On hand"), N_("Returned"), N_("Destroyed"), N_("Unaccounted"),
)  # fmt: skip


# Showing figures and moments -----------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().time_zone)


def _when(moment: datetime | None) -> str:
    """A UTC moment on the plant's clock (the zone is named once, above each table)."""
    return "" if moment is None else f"{moment.astimezone(_zone()):%d-%m-%Y %H:%M}"


def _number(language: str) -> Callable[[int | None], str]:
    def number(value: int | None) -> str:
        return "—" if value is None else format_decimal(value, locale=language)

    return number


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def time_left(request: Request[Any, Any, Any], due: datetime, now: datetime) -> tuple[str, bool]:
    """("2 days left" | "overdue by 3 h", overdue) in the reader's language."""
    catalogue = translations(language_of(request))
    _ = catalogue.gettext
    seconds = (due - now).total_seconds()
    span = abs(seconds)
    if span >= 2 * 86400:
        days = int(span // 86400)
        amount = catalogue.ngettext("%(num)d day", "%(num)d days", days) % {"num": days}
    elif span >= 3600:
        amount = _("%(num)d h") % {"num": int(span // 3600)}
    else:
        amount = _("%(num)d min") % {"num": max(1, int(span // 60))}
    if seconds < 0:
        return _("overdue by %(time)s") % {"time": amount}, True
    return _("%(time)s left") % {"time": amount}, False


def _is_open(recall: recalls.Recall) -> bool:
    return recall.status == RecallStatus.IN_PROGRESS


# The list -----------------------------------------------------------------------------------


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and 0 < int(text) < 1_000_000 else 1


@get("/recalls", guards=[signed_in, QUALITY_READ], include_in_schema=False)
async def recall_list(
    request: Request[Actor, Any, Any], status: Query = None, page_number: PageNumber = None
) -> Template:
    wanted = status if status in set(RecallStatus) else None
    number = _page_number(page_number)
    items, total = await recalls.list_recalls(
        wanted, RECALLS_PER_PAGE, (number - 1) * RECALLS_PER_PAGE
    )
    ids = [item.id for item in items]
    batches, counts = await batches_by_recall(ids), await response_counts(ids)
    rows = []
    for item in items:
        notices, responded = counts.get(item.id, (0, 0))
        rows.append(
            {
                "recall": item,
                "batches": batches.get(item.id, []),
                "notices": notices,
                "progress": percent(responded, notices),
            }
        )
    return page(
        request,
        "recalls/list.html",
        {
            "rows": rows,
            "total": total,
            "status": wanted or "",
            "statuses": [(value.value, text) for value, text in STATUS_NAMES.items()],
            "status_names": STATUS_NAMES,
            "status_states": STATUS_STATES,
            "page_number": number,
            "pages": max(1, -(-total // RECALLS_PER_PAGE)),
            "link": lambda n: "/recalls?" + urlencode({"status": wanted or "", "page": n}),
            "when": _when,
            "zone": get_settings().time_zone,
            "may_propose": request.user.has(Role.QA),
        },
    )


# The dashboard ------------------------------------------------------------------------------


def _filter(
    status: str | None, tier: str | None, overdue: str | None, q: str | None
) -> ConsigneeFilter:
    """The table's filter from the query string; values that mean nothing are ignored."""
    return ConsigneeFilter(
        status=status if status in set(NoticeStatus) else None,
        tier=int(tier) if tier and tier.isdigit() and 0 < int(tier) < 100 else None,
        overdue_only=overdue == "true",
        search=(q or "").strip()[:100] or None,
    )


def _filter_query(shown: ConsigneeFilter) -> dict[str, str]:
    return {
        key: value
        for key, value in {
            "status": shown.status or "",
            "tier": str(shown.tier) if shown.tier is not None else "",
            "overdue": "true" if shown.overdue_only else "",
            "q": shown.search or "",
        }.items()
        if value
    }


@dataclass(frozen=True)
class DeadlineRow:
    name: str
    rule: str
    due_at: str
    left: str
    state: str  # ok | warn | bad | "" (closed: no clock running)


def _deadlines(
    request: Request[Any, Any, Any], recall: recalls.Recall, now: datetime
) -> list[DeadlineRow]:
    _ = gettext_for(request)
    everyone_notified = 0 < recall.progress.consignees_total == recall.progress.notified
    rows = []
    for deadline in recall.deadlines:
        left, overdue, state = "", False, ""
        if deadline.name == "notify_consignees" and everyone_notified:
            left, state = _("Met: every consignee notified"), "ok"
        elif _is_open(recall):
            left, overdue = time_left(request, deadline.due_at, now)
            state = "bad" if overdue else ("warn" if (deadline.due_at - now).days < 2 else "")
        rows.append(
            DeadlineRow(
                name=_(DEADLINE_NAMES.get(deadline.name, deadline.name)),
                rule=deadline.rule,
                due_at=_when(deadline.due_at),
                left=left,
                state=state,
            )
        )
    return rows


@get("/recalls/{recall_id:int}", guards=[signed_in, QUALITY_READ], include_in_schema=False)
async def dashboard(
    request: Request[Actor, Any, Any],
    recall_id: RecallId,
    status: Query = None,
    tier: Query = None,
    overdue: Query = None,
    q: Query = None,
    page_number: PageNumber = None,
) -> Template:
    recall = await recalls.get_recall(recall_id)
    now = clock.now().astimezone(UTC)
    shown = _filter(status, tier, overdue, q)
    number = _page_number(page_number)
    rows, matching = await consignee_rows(
        recall_id, shown, now, CONSIGNEES_PER_PAGE, (number - 1) * CONSIGNEES_PER_PAGE
    )
    failures, failures_total = await delivery_failures(recall_id)
    open_alerts, alerts_total = await alerts.list_alerts(
        recall_id=recall_id, open_only=True, limit=ALERTS_LISTED
    )
    query = _filter_query(shown)
    actor = request.user
    return page(
        request,
        "recalls/dashboard.html",
        {
            "recall": recall,
            "now": now,
            "refresh": REFRESH_SECONDS if _is_open(recall) else None,
            "deadlines": _deadlines(request, recall, now),
            "tiers": recall.progress.tiers,
            "rows": rows,
            "matching": matching,
            "shown": shown,
            "query": query,
            "page_number": number,
            "pages": max(1, -(-matching // CONSIGNEES_PER_PAGE)),
            "link": lambda n: f"/recalls/{recall_id}?" + urlencode({**query, "page": n}),
            "export": lambda fmt: (
                f"/recalls/{recall_id}/consignees/export?" + urlencode({**query, "format": fmt})
            ),
            "reconciliation": await recalls.reconcile(recall_id),
            "failures": failures,
            "failures_total": failures_total,
            "alerts": open_alerts,
            "alerts_total": alerts_total,
            "may_approve": recall.status == RecallStatus.PROPOSED and actor.has(Role.QA_MANAGER),
            "is_proposer": actor.id is not None and recall.proposed_by == actor.id,
            "may_close": _is_open(recall) and actor.has(Role.QA_MANAGER),
            **_names(request),
        },
    )


def _names(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """What every recall page needs to show codes as words, figures and moments."""
    return {
        "status_names": STATUS_NAMES,
        "status_states": STATUS_STATES,
        "notice_names": NOTICE_STATUS_NAMES,
        "notice_states": NOTICE_STATES,
        "notice_statuses": [(value.value, text) for value, text in NOTICE_STATUS_NAMES.items()],
        "class_names": CLASS_NAMES,
        "type_names": TYPE_NAMES,
        "depth_names": DEPTH_NAMES,
        "profile_names": PROFILE_NAMES,
        "kind_names": KIND_NAMES,
        "signature_names": SIGNATURE_NAMES,
        "alert_names": ALERT_NAMES,
        "channel_names": CHANNEL_NAMES,
        "channels": lambda row: _channels(row, gettext_for(request)),
        "when": _when,
        "zone": get_settings().time_zone,
        "number": _number(language_of(request)),
        "percent": percent,
    }


# Downloads ----------------------------------------------------------------------------------


def _channels(row: ConsigneeRow, _: Callable[[str], str]) -> str:
    """How the notice reaches the consignee: its addresses, or "Phone only" without any."""
    used = [name for name, has in (("webhook", row.has_webhook), ("email", row.has_email)) if has]
    return ", ".join(_(CHANNEL_NAMES[name]) for name in used) or _("Phone only")


@get(
    "/recalls/{recall_id:int}/consignees/export",
    guards=[signed_in, QUALITY_READ],
    include_in_schema=False,
)
async def export_consignees(
    request: Request[Actor, Any, Any],
    recall_id: RecallId,
    format: FormatParameter,
    status: Query = None,
    tier: Query = None,
    overdue: Query = None,
    q: Query = None,
) -> Response[bytes]:
    recall = await recalls.get_recall(recall_id)
    _ = gettext_for(request)
    rows, _total = await consignee_rows(
        recall_id, _filter(status, tier, overdue, q), clock.now().astimezone(UTC), limit=None
    )
    table = (
        [
            row.code,
            row.name,
            _(KIND_NAMES.get(row.kind, row.kind)),
            row.tier,
            _channels(row, _),
            _(NOTICE_STATUS_NAMES[NoticeStatus(row.status)]),
            _("Overdue") if row.overdue else "",
            row.respond_by,
            row.notified_at,
            row.acknowledged_at,
            row.last_contact_at,
            row.quantity_distributed,
            row.quantity_on_hand,
            row.quantity_returned,
            row.quantity_destroyed,
            row.quantity_unaccounted,
        ]
        for row in rows
    )
    headers = [_(text) for text in CONSIGNEE_COLUMNS]
    # Tens of thousands of rows take seconds to write: not on the event loop.
    name = f"{recall.reference}-consignees"
    return await asyncio.to_thread(download, name, format, headers, list(table))


@get(
    "/recalls/{recall_id:int}/reconciliation/export",
    guards=[signed_in, QUALITY_READ],
    include_in_schema=False,
)
async def export_reconciliation(
    request: Request[Actor, Any, Any], recall_id: RecallId, format: FormatParameter
) -> Response[bytes]:
    recall = await recalls.get_recall(recall_id)
    found = await recalls.reconcile(recall_id)
    _ = gettext_for(request)

    def lines(level: str, batches: list[recalls.ReconciliationLine], total: Any) -> list[Any]:
        shown = [(line.batch_no, line.gtin, line.product_name, line) for line in batches]
        shown.append((_("Total"), "", "", total))
        return [
            [
                level,
                batch_no,
                gtin,
                name,
                line.quantity_produced,
                line.quantity_distributed,
                line.quantity_on_hand,
                line.quantity_returned,
                line.quantity_destroyed,
                line.quantity_unaccounted,
            ]
            for batch_no, gtin, name, line in shown
        ]

    table = lines(_("Left the plant"), found.batches, found.totals)
    for tier in found.tiers:
        table += lines(_("Tier %(tier)s") % {"tier": tier.tier}, tier.batches, tier.totals)
    headers = [_(text) for text in RECONCILIATION_COLUMNS]
    return download(f"{recall.reference}-reconciliation", format, headers, table)


@get(
    "/recalls/{recall_id:int}/report.pdf", guards=[signed_in, QUALITY_READ], include_in_schema=False
)
async def report_pdf(recall_id: RecallId) -> Response[bytes]:
    report = await recalls.recall_report_pdf(recall_id)
    # No page CSP here: it would stop the browser's PDF viewer from drawing the file.
    headers = {key: value for key, value in HEADERS.items() if key != "Content-Security-Policy"}
    return Response(
        report.content,
        media_type="application/pdf",
        headers={**headers, "Content-Disposition": f'inline; filename="{report.filename}"'},
    )


# Electronic signatures ----------------------------------------------------------------------


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
        "status": _(STATUS_NAMES[RecallStatus(recall.status)]).lower(),
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
    if request.user.id is not None and recall.proposed_by == request.user.id:
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
        "status": _(STATUS_NAMES[RecallStatus(recall.status)]).lower(),
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


ROUTES: list[Any] = [
    recall_list,
    dashboard,
    export_consignees,
    export_reconciliation,
    report_pdf,
    approval_form,
    approve,
    closure_form,
    close,
]

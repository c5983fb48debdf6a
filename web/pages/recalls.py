"""Pages: the recall list, a recall's dashboard with its downloads and PDF report, and the
QA manager's electronic signatures (approval, closure) through the same use cases as the API.

The downloads live in _recall_downloads, the signatures in _recall_signatures, and what every
recall page shows alike in _recall_display; ROUTES gathers them all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from functools import partial
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.response import Template

from recall import alerts, clock, recalls
from recall.actors import Actor, Role
from recall.notices import (
    ConsigneeFilter,
    consignee_rows,
    delivery_failures,
    response_counts,
)
from recall.recalls import RecallStatus, batches_by_recall
from recall.settings import get_settings
from web.api.recalls import RecallId
from web.pages._recall_amendments import ROUTES as amendment_routes
from web.pages._recall_amendments import amendments_context
from web.pages._recall_authorities import ROUTES as authority_routes
from web.pages._recall_authorities import (
    authorities_context,
    public_warning_record,
    submission_record,
)
from web.pages._recall_destructions import ROUTES as destruction_routes
from web.pages._recall_display import (
    STATUS_STATES,
    PageNumber,
    Query,
    _filter,
    _is_open,
    _names,
    _when,
    percent,
)
from web.pages._recall_downloads import (
    authority_report_pdf,
    export_consignees,
    export_progress,
    export_reconciliation,
    report_pdf,
)
from web.pages._recall_signatures import approval_form, approve, close, closure_form
from web.pages.attachments import attachments_context
from web.pages.forms import FormsPage, PageForms
from web.pages.labels import RECALL_STATUS_NAMES
from web.pages.render import page
from web.pages.session import signed_in
from web.security import QA_STAFF, QUALITY_READ

RECALLS_PER_PAGE = 50
CONSIGNEES_PER_PAGE = 100
ALERTS_LISTED = 20
REFRESH_SECONDS = 30


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
            "statuses": [(value.value, text) for value, text in RECALL_STATUS_NAMES.items()],
            "status_names": RECALL_STATUS_NAMES,
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
class Shown:
    """What the dashboard's query string asks for: the consignee filter and page, and the
    authority the submission form is filled in for."""

    status: str | None = None
    tier: str | None = None
    overdue: str | None = None
    q: str | None = None
    page_number: str | None = None
    record: str | None = None
    submit_to: str | None = None


async def _dashboard(
    request: Request[Actor, Any, Any],
    recall_id: int,
    asked: Shown,
    forms: PageForms | None = None,
    *,
    status_code: int = 200,
) -> Template:
    recall = await recalls.get_recall(recall_id)
    status, tier, overdue, q, page_number = (
        asked.status, asked.tier, asked.overdue, asked.q, asked.page_number
    )  # fmt: skip
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
    filling = bool(asked.record or forms)
    refreshing = _is_open(recall) and not filling
    return page(
        request,
        "recalls/dashboard.html",
        {
            "recall": recall,
            "now": now,
            # Not while a form is being filled in: a reload would lose what was typed.
            "refresh": REFRESH_SECONDS if refreshing else None,
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
            "is_proposer": not recalls.may_approve(recall.proposed_by, actor),
            "may_close": _is_open(recall) and actor.has(Role.QA_MANAGER),
            "attachments": await attachments_context(
                request, "recall", recall.id, folded=refreshing
            ),
            **amendments_context(request, recall),
            **_names(request),
            **await authorities_context(
                request, recall, forms or PageForms(), asked.record, asked.submit_to
            ),
        },
        status_code=status_code,
    )


@get("/recalls/{recall_id:int}", guards=[signed_in, QUALITY_READ], include_in_schema=False)
async def dashboard(
    request: Request[Actor, Any, Any],
    recall_id: RecallId,
    status: Query = None,
    tier: Query = None,
    overdue: Query = None,
    q: Query = None,
    page_number: PageNumber = None,
    record: Query = None,
    submit_to: Query = None,
) -> Template:
    asked = Shown(status, tier, overdue, q, page_number, record, submit_to)
    return await _dashboard(request, recall_id, asked)


def _forms_page(request: Request[Actor, Any, Any], recall_id: int) -> FormsPage:
    return FormsPage(f"/recalls/{recall_id}", partial(_dashboard, request, recall_id, Shown()))


# What each dashboard form records: the use case, the form read as its record, where to go back.
RECORDED: dict[str, tuple[Any, Any, str]] = {
    "submission": (recalls.record_submission, submission_record, "h-submissions"),
    "warning": (recalls.record_public_warning, public_warning_record, "h-warnings"),
}


async def _recorded(request: Request[Actor, Any, Any], recall_id: int, name: str) -> Response[Any]:
    """Form `name` of the dashboard: recorded, back to its section; refused, shown again."""
    form = await request.form()
    use_case, record_of, anchor = RECORDED[name]

    async def record() -> None:
        await use_case(request.user, recall_id, record_of(form))

    return await _forms_page(request, recall_id).answer(form, record, name, anchor)


@post("/recalls/{recall_id:int}/submissions", guards=[signed_in, QA_STAFF], include_in_schema=False)
async def record_submission(
    request: Request[Actor, Any, Any], recall_id: RecallId
) -> Response[Any]:
    return await _recorded(request, recall_id, "submission")


@post(
    "/recalls/{recall_id:int}/public-warnings",
    guards=[signed_in, QA_STAFF],
    include_in_schema=False,
)
async def record_public_warning(
    request: Request[Actor, Any, Any], recall_id: RecallId
) -> Response[Any]:
    return await _recorded(request, recall_id, "warning")


ROUTES: list[Any] = [
    recall_list,
    dashboard,
    export_consignees,
    export_reconciliation,
    report_pdf,
    authority_report_pdf,
    export_progress,
    approval_form,
    approve,
    closure_form,
    close,
    record_submission,
    record_public_warning,
    *authority_routes,
    *amendment_routes,
    *destruction_routes,
]

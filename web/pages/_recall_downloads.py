"""Recall pages: the downloads — consignee table, reconciliation, PDF reports.

A click asks for an export (made by a worker, see web.exports). A small file ready within
READY_WITHIN seconds is answered at once; otherwise the reader goes to the export's page
(/recalls/<id>/exports/<export id>),
which shows how far it got, refreshes itself, and answers with the file once it is made.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from babel.numbers import format_decimal
from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.response import File, Template

from recall import exports
from recall.actors import Actor
from recall.errors import NotFound
from recall.exports import Document, Export, ExportStatus
from recall.notices import NoticeStatus
from recall.settings import get_settings
from web.api.recalls import RecallId
from web.exports import file_response, prepared
from web.i18n import language_of
from web.pages._recall_display import Query, _filter
from web.pages.export import FormatParameter
from web.pages.labels import CONSIGNEE_KIND_NAMES, NOTICE_CHANNEL_NAMES, NOTICE_STATUS_NAMES
from web.pages.render import HEADERS, N_, gettext_for, local_time, page, see_other
from web.pages.session import signed_in
from web.security import QUALITY_READ

CONSIGNEE_COLUMNS = (
    N_("Code"), N_("Consignee"), N_("Kind"), N_("Tier"), N_("Channel"), N_("Status"),
    N_("Overdue"), N_("Respond by"), N_("Notified"), N_("Acknowledged"), N_("Last contact"),
    N_("Received"), N_("On hand"), N_("Returned"), N_("Destroyed"), N_("Unaccounted"),
)  # fmt: skip
RECONCILIATION_COLUMNS = (
    N_("Level"), N_("Batch"), N_("GTIN"), N_("Product"), N_("Produced"), N_("Distributed"),
    N_("On hand"), N_("Returned"), N_("Destroyed"), N_("Unaccounted"),
)  # fmt: skip
DOCUMENT_NAMES = {
    Document.CONSIGNEES: N_("Consignee table"),
    Document.RECONCILIATION: N_("Reconciliation"),
    Document.RECALL_REPORT: N_("Recall report"),
    Document.AUTHORITY_REPORT: N_("Report to the authority"),
}
EXPORT_STATUS_NAMES = {
    ExportStatus.QUEUED: N_("Waiting to start"),
    ExportStatus.RUNNING: N_("Being prepared"),
    ExportStatus.READY: N_("Ready"),
    ExportStatus.FAILED: N_("Failed"),
}
# Most files are made in well under this: they come at once, without the waiting page.
READY_WITHIN = 2.0
REFRESH_SECONDS = 2
GUARDS = [signed_in, QUALITY_READ]
# No page CSP on a PDF: it would stop the browser's PDF viewer from drawing the file.
PDF_HEADERS = {key: value for key, value in HEADERS.items() if key != "Content-Security-Policy"}


def _file(export: Export) -> File:
    return file_response(export, PDF_HEADERS if export.format == "pdf" else HEADERS)


async def _asked(
    request: Request[Actor, Any, Any],
    document: Document,
    recall_id: int,
    format: str,
    parameters: dict[str, Any],
) -> File | Response[Any]:
    export = await exports.request_export(request.user, document, recall_id, format, parameters)
    export = await prepared(request, export, READY_WITHIN)
    if export.status is ExportStatus.READY:
        return _file(export)
    refused = export.error()
    if refused is not None:
        raise refused  # a bad choice or a state that refuses it, answered as before
    return see_other(progress_path(export))


@get("/recalls/{recall_id:int}/consignees/export", guards=GUARDS, include_in_schema=False)
async def export_consignees(
    request: Request[Actor, Any, Any],
    recall_id: RecallId,
    format: FormatParameter,
    status: Query = None,
    tier: Query = None,
    overdue: Query = None,
    q: Query = None,
) -> File | Response[Any]:
    _ = gettext_for(request)
    words = {
        "headers": [_(text) for text in CONSIGNEE_COLUMNS],
        "kinds": {str(kind): _(text) for kind, text in CONSIGNEE_KIND_NAMES.items()},
        "statuses": {str(state): _(NOTICE_STATUS_NAMES[state]) for state in NoticeStatus},
        "channels": {name: _(text) for name, text in NOTICE_CHANNEL_NAMES.items()},
        "phone_only": _("Phone only"),
        "overdue": _("Overdue"),
    }
    shown = dataclasses.asdict(_filter(status, tier, overdue, q))
    parameters = {"filter": shown, "words": words}
    return await _asked(request, Document.CONSIGNEES, recall_id, format.value, parameters)


@get("/recalls/{recall_id:int}/reconciliation/export", guards=GUARDS, include_in_schema=False)
async def export_reconciliation(
    request: Request[Actor, Any, Any], recall_id: RecallId, format: FormatParameter
) -> File | Response[Any]:
    _ = gettext_for(request)
    words = {
        "headers": [_(text) for text in RECONCILIATION_COLUMNS],
        "plant": _("Left the plant"),
        "tier": _("Tier %(tier)s"),
        "total": _("Total"),
    }
    parameters = {"words": words}
    return await _asked(request, Document.RECONCILIATION, recall_id, format.value, parameters)


@get("/recalls/{recall_id:int}/report.pdf", guards=GUARDS, include_in_schema=False)
async def report_pdf(
    request: Request[Actor, Any, Any], recall_id: RecallId
) -> File | Response[Any]:
    return await _asked(request, Document.RECALL_REPORT, recall_id, "pdf", {})


@get("/recalls/{recall_id:int}/authority-report.pdf", guards=GUARDS, include_in_schema=False)
async def authority_report_pdf(
    request: Request[Actor, Any, Any],
    recall_id: RecallId,
    kind: Query = None,
    lang: Query = None,
    profile: Query = None,
) -> File | Response[Any]:
    """The report to an authority (initial, progress, final), as the API serves it."""
    parameters = {"kind": kind, "lang": lang, "profile": profile}
    return await _asked(request, Document.AUTHORITY_REPORT, recall_id, "pdf", parameters)


def progress_path(export: Export) -> str:
    return f"/recalls/{export.recall_id}/exports/{export.id}"


@get("/recalls/{recall_id:int}/exports/{export_id:int}", guards=GUARDS, include_in_schema=False)
async def export_progress(
    request: Request[Actor, Any, Any], recall_id: RecallId, export_id: FromPath[int]
) -> File | Template:
    """An export being made, refreshing itself; its file once made; why it failed."""
    export = await exports.get_export(request.user, export_id)
    if export.recall_id != recall_id:
        raise NotFound(f"export {export_id} not found")
    export = await prepared(request, export, 0)
    if export.status is ExportStatus.READY:
        return _file(export)
    _ = gettext_for(request)
    percent = None
    if export.rows_total:
        percent = min(100, round(100 * export.rows_done / export.rows_total))
    return page(
        request,
        "exports/prepared.html",
        {
            "export": export,
            "document_name": _(DOCUMENT_NAMES[export.document]),
            "status_name": _(EXPORT_STATUS_NAMES[export.status]),
            "state": "bad" if export.status is ExportStatus.FAILED else "warn",
            "requested": local_time(export.requested_at, get_settings().time_zone),
            "percent": percent,
            "number": lambda amount: format_decimal(amount, locale=language_of(request)),
            "refresh": None if export.finished else REFRESH_SECONDS,
        },
    )

"""Recall pages: the downloads — consignee table, reconciliation, PDF report."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

from litestar import Request, Response, get

from recall import clock, recalls
from recall.actors import Actor
from recall.notices import NoticeStatus, consignee_rows
from web.api.recalls import RecallId
from web.api.reports import destruction_files
from web.pages._recall_display import Query, _channels, _filter
from web.pages.export import FormatParameter, download
from web.pages.labels import CONSIGNEE_KIND_NAMES, NOTICE_STATUS_NAMES, label
from web.pages.render import HEADERS, N_, gettext_for
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
            label(_, CONSIGNEE_KIND_NAMES, row.kind),
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


def _pdf(report: recalls.ReportPdf) -> Response[bytes]:
    # No page CSP here: it would stop the browser's PDF viewer from drawing the file.
    headers = {key: value for key, value in HEADERS.items() if key != "Content-Security-Policy"}
    return Response(
        report.content,
        media_type="application/pdf",
        headers={**headers, "Content-Disposition": f'inline; filename="{report.filename}"'},
    )


@get(
    "/recalls/{recall_id:int}/report.pdf", guards=[signed_in, QUALITY_READ], include_in_schema=False
)
async def report_pdf(request: Request[Actor, Any, Any], recall_id: RecallId) -> Response[bytes]:
    return _pdf(await recalls.recall_report_pdf(recall_id, destruction_files(request.user)))


@get(
    "/recalls/{recall_id:int}/authority-report.pdf",
    guards=[signed_in, QUALITY_READ],
    include_in_schema=False,
)
async def authority_report_pdf(
    request: Request[Actor, Any, Any],
    recall_id: RecallId,
    kind: Query = None,
    lang: Query = None,
    profile: Query = None,
) -> Response[bytes]:
    """The report to an authority (initial, progress, final), as the API serves it."""
    files = destruction_files(request.user)
    return _pdf(await recalls.authority_report_pdf(recall_id, kind, lang, profile, files))

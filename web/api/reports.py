"""Recall reports: periodic status reports (21 CFR 7.53) and the recall report as PDF."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import Parameter

from recall import evidence, recalls
from recall.actors import Actor
from web.api.recalls import INVALID, NOT_FOUND, NOT_IN_PROGRESS, RecallId
from web.api.schemas import ErrorRead, Limit, Offset, Page, read_model
from web.security import QA_ONLY, QUALITY_READ


class StatusReportRead(msgspec.Struct):
    number: int
    filed_at: datetime
    # The figures frozen when filed: notification, responses, quantities, tiers,
    # effectiveness checks, estimated completion, deadlines; "drill" marks a mock recall.
    content: dict[str, Any]


class StatusReportController(Controller):
    path = "/api/recalls/{recall_id:int}/status-reports"
    tags = ["reports"]

    @get(
        "/",
        operation_id="ListStatusReports",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
        description="A recall's status reports by number, each with the figures it froze.",
    )
    async def list_status_reports(
        self, recall_id: RecallId, limit: Limit = 50, offset: Offset = 0
    ) -> Page[StatusReportRead]:
        items, total = await recalls.list_status_reports(recall_id, limit, offset)
        return Page(items=[read_model(StatusReportRead, item) for item in items], total=total)

    @post(
        "/",
        operation_id="FileStatusReport",
        guards=[QA_ONLY],
        description=(
            "File a status report of an in-progress recall now, with the next number "
            "(scheduled reports are filed by the worker on the profile's interval)."
        ),
        responses={**NOT_FOUND, **NOT_IN_PROGRESS},
    )
    async def file_status_report(
        self, recall_id: RecallId, request: Request[Actor, Any, Any]
    ) -> StatusReportRead:
        report = await recalls.file_status_report(request.user, recall_id)
        return read_model(StatusReportRead, report)


class RecallReportController(Controller):
    path = "/api/recalls/{recall_id:int}/report.pdf"
    tags = ["reports"]

    @get(
        "/",
        operation_id="GetRecallReportPdf",
        guards=[QUALITY_READ],
        media_type="application/pdf",
        description=(
            "The recall report as PDF: final once closed, interim while in progress. "
            "Text is searchable; drills are marked DRILL / LATIHAN."
        ),
        responses=NOT_FOUND,
    )
    async def get_report_pdf(
        self, recall_id: RecallId, request: Request[Actor, Any, Any]
    ) -> Response[bytes]:
        files = destruction_files(request.user)
        return pdf_response(await recalls.recall_report_pdf(recall_id, files))


def destruction_files(
    actor: Actor,
) -> Callable[[int], Awaitable[list[evidence.Attachment]]] | None:
    """What the reports list of a destruction record's evidence files: the reader's view
    (none when the reader may not see them)."""
    if not evidence.may_read(actor, "destruction"):
        return None
    return partial(evidence.list_attachments, actor, "destruction")


def pdf_response(report: recalls.ReportPdf) -> Response[bytes]:
    """A PDF shown in the browser under its file name."""
    return Response(
        report.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{report.filename}"'},
    )


# Checked by the domain, so that any bad value is a 422 naming its parameter.
ReportChoice = Annotated[str | None, Parameter(description="See the operation's description")]


class AuthorityReportController(Controller):
    path = "/api/recalls/{recall_id:int}/authority-report.pdf"
    tags = ["reports"]

    @get(
        "/",
        operation_id="GetAuthorityReportPdf",
        guards=[QUALITY_READ],
        media_type="application/pdf",
        description=(
            "A report to an authority, ready to sign and send: `kind` initial, progress or "
            "final; `lang` id or en (by default the authority's language); `profile` one of the "
            "recall's profiles (by default its first). BPOM: the Laporan Awal / Perkembangan / "
            "Akhir Penarikan Obat letter, copied to the regional offices of the provinces "
            "reached; FDA: a recall status report with the items of 21 CFR 7.53(b)."
        ),
        responses={
            **NOT_FOUND,
            **INVALID,
            409: ResponseSpec(ErrorRead, description="The recall is only proposed"),
        },
    )
    async def get_authority_report_pdf(
        self,
        recall_id: RecallId,
        request: Request[Actor, Any, Any],
        kind: ReportChoice = None,
        lang: ReportChoice = None,
        profile: ReportChoice = None,
    ) -> Response[bytes]:
        files = destruction_files(request.user)
        report = await recalls.authority_report_pdf(recall_id, kind, lang, profile, files)
        return pdf_response(report)

"""Recall reports: periodic status reports (21 CFR 7.53) and the recall report as PDF."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from litestar.response import File

from recall import exports, recalls
from recall.actors import Actor
from recall.errors import Unavailable
from recall.exports import Document, ExportStatus
from web.api.recalls import INVALID, NOT_FOUND, NOT_IN_PROGRESS, RecallId
from web.api.schemas import ErrorRead, Limit, Offset, Page, read_model
from web.exports import file_response, prepared
from web.security import QA_ONLY, QUALITY_READ

# The answer waits this long for a worker to make the document, then says to ask again.
WAIT_SECONDS = 300
MADE_BY_WORKER = (
    "\n\nThe document is made by a worker (or by this process when no worker is running) "
    f"while the request waits; after {WAIT_SECONDS} s without it the answer is 503."
)
STILL_MAKING = {
    503: ResponseSpec(ErrorRead, description=f"Not made within {WAIT_SECONDS} s; ask again"),
}


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
            "Text is searchable; drills are marked DRILL / LATIHAN." + MADE_BY_WORKER
        ),
        responses={**NOT_FOUND, **STILL_MAKING},
    )
    async def get_report_pdf(self, recall_id: RecallId, request: Request[Actor, Any, Any]) -> File:
        return await made_document(request, Document.RECALL_REPORT, recall_id, {})


async def made_document(
    request: Request[Actor, Any, Any],
    document: Document,
    recall_id: int,
    parameters: dict[str, Any],
) -> File:
    """The PDF as a worker made it for this reader, once made: the request waits."""
    export = await exports.request_export(request.user, document, recall_id, "pdf", parameters)
    export = await prepared(request, export, WAIT_SECONDS)
    if export.status is ExportStatus.READY:
        return file_response(export)
    refused = export.error()
    if refused is not None:
        raise refused
    if export.status is ExportStatus.FAILED:
        raise RuntimeError(f"export {export.id}: {export.reason}")
    raise Unavailable(
        f"the document is still being made after {WAIT_SECONDS} s; ask again shortly "
        "(the same request is answered from the same export)"
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
            + MADE_BY_WORKER
        ),
        responses={
            **NOT_FOUND,
            **STILL_MAKING,
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
    ) -> File:
        parameters = {"kind": kind, "lang": lang, "profile": profile}
        return await made_document(request, Document.AUTHORITY_REPORT, recall_id, parameters)

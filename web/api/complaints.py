"""Complaints: intake, QA triage, replies, closure, reading, and trends."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, Parameter, PathParameter, QueryParameter

from recall import complaints, investigations, masterdata
from recall.actors import Actor
from recall.complaints import (
    BARCODE_MAX,
    BATCH_NO_MAX,
    CONTACT_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    REASON_MAX,
    REPLY_MAX,
    RESOLUTION_MAX,
    Category,
    Channel,
    ComplaintStatus,
    OpenObligation,
    ReporterKind,
    Severity,
)
from web.api.schemas import ErrorRead, Limit, Offset, Page, command, read_model
from web.security import COMPLAINT_INTAKE, QA_ONLY, QA_STAFF, QUALITY_READ, READ_ALL

SEARCH_HELP = "Text in the reference, description, reporter, product name or batch number"

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX)]


class ReporterBody(msgspec.Struct):
    name: Name
    kind: ReporterKind
    organization: Annotated[str, msgspec.Meta(max_length=NAME_MAX)] | None = None
    contact: Annotated[str, msgspec.Meta(max_length=CONTACT_MAX)] | None = None


class ComplaintCreate(msgspec.Struct):
    channel: Channel
    reporter: ReporterBody
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=DESCRIPTION_MAX)]
    adverse_event: bool
    sample_available: bool
    gtin: Annotated[str, msgspec.Meta(max_length=14)] | None = None
    batch_no: Annotated[str, msgspec.Meta(max_length=BATCH_NO_MAX)] | None = None
    barcode: Annotated[str, msgspec.Meta(max_length=BARCODE_MAX)] | None = None


class ComplaintTriage(msgspec.Struct):
    category: Category
    severity: Severity
    investigate: bool
    reason: Annotated[str, msgspec.Meta(max_length=REASON_MAX)] | None = None


class ReplyCreate(msgspec.Struct):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=REPLY_MAX)]


class ComplaintClose(msgspec.Struct):
    resolution: Annotated[str, msgspec.Meta(min_length=1, max_length=RESOLUTION_MAX)]


class ObligationSubmissionCreate(msgspec.Struct):
    """A report sent to the authority; the domain checks each field (422 naming it)."""

    submitted_at: datetime | None = None
    reference: str | None = None
    channel: str | None = None  # portal, email, letter, hand_delivery or other
    authority: str | None = None


class ObligationRead(msgspec.Struct):
    kind: str
    profile: str
    authority: str
    form: str
    due_at: datetime
    submitted_at: datetime | None
    reference: str | None
    channel: str | None
    overdue: bool


class ReporterRead(msgspec.Struct):
    name: str
    kind: str
    organization: str | None
    contact: str | None


class ComplaintRead(msgspec.Struct):
    id: int
    reference: str
    status: str
    channel: str
    reporter: ReporterRead
    gtin: str | None
    product_id: int | None
    product_name: str | None
    product_strength: str | None
    batch_no: str | None
    batch_id: int | None
    batch_known: bool | None
    expires_on: date | None
    serial: str | None
    barcode: str | None
    description: str
    adverse_event: bool
    sample_available: bool
    category: str | None
    severity: str | None
    received_at: datetime
    version: int
    investigate: bool | None
    triage_reason: str | None
    pharmacovigilance: bool
    triaged_at: datetime | None
    field_alert_due_at: datetime | None
    investigation_id: int | None
    closed_at: datetime | None
    resolution: str | None


class HistoryEntryRead(msgspec.Struct):
    at: datetime
    actor_name: str
    action: str
    old_values: dict[str, Any]
    new_values: dict[str, Any]
    reason: str


class ComplaintDetailRead(ComplaintRead):
    replies: list[complaints.ComplaintReply]
    obligations: list[ObligationRead]
    history: list[HistoryEntryRead]
    possible_duplicates: list[complaints.PossibleDuplicate]
    retain_until: date | None
    # released | on_hold | recalled; null when the batch is not in our records.
    batch_status: str | None


class ComplaintTrendsRead(msgspec.Struct):
    by_month: list[complaints.MonthCount]
    by_batch: list[complaints.BatchCount]
    from_: date = msgspec.field(name="from")
    to: date = msgspec.field()


def complaint_read(complaint: complaints.Complaint) -> ComplaintRead:
    return read_model(ComplaintRead, complaint)


async def complaint_detail(complaint: complaints.Complaint) -> ComplaintDetailRead:
    return read_model(
        ComplaintDetailRead,
        complaint,
        obligations=await complaints.complaint_obligations(complaint.id),
        history=await complaints.complaint_history(complaint.id),
        possible_duplicates=await complaints.possible_duplicates(complaint),
        batch_status=(
            (await masterdata.get_batch(complaint.batch_id)).status if complaint.batch_id else None
        ),
    )


ComplaintId = Annotated[int, PathParameter(description="The complaint's id")]
REFUSED_MOVE = ResponseSpec(ErrorRead, description="Not allowed in the complaint's status")
NO_SUCH_COMPLAINT = ResponseSpec(ErrorRead, description="No such complaint")
RULE_BROKEN = ResponseSpec(ErrorRead, description="A value breaks a rule (field named)")


class ComplaintController(Controller):
    path = "/api/complaints"
    tags = ["complaints"]

    @post(
        "/",
        operation_id="LogComplaint",
        guards=[COMPLAINT_INTAKE],
        responses={
            413: ResponseSpec(ErrorRead, description="Body over the size limit"),
            422: ResponseSpec(ErrorRead, description="A value breaks a rule (field named)"),
        },
    )
    async def log_complaint(
        self, data: JSONBody[ComplaintCreate], request: Request[Actor, Any, Any]
    ) -> ComplaintRead:
        intake = command(complaints.ComplaintIntake, data)
        return complaint_read(await complaints.log_complaint(request.user, intake))

    @get("/", operation_id="ListComplaints", guards=[READ_ALL])
    async def list_complaints(
        self,
        status: Annotated[
            ComplaintStatus | None, Parameter(description="Only complaints in this status")
        ] = None,
        batch_no: Annotated[str | None, Parameter(max_length=BATCH_NO_MAX)] = None,
        q: Annotated[str | None, Parameter(max_length=200, description=SEARCH_HELP)] = None,
        category: Annotated[
            Category | None, Parameter(description="Only complaints triaged in this category")
        ] = None,
        pharmacovigilance: Annotated[
            bool | None, Parameter(description="Only complaints flagged (or not) as adverse events")
        ] = None,
        obligation: Annotated[
            OpenObligation | None,
            Parameter(
                description="Only complaints with an unsubmitted report to an authority due "
                "within 24 hours or past due (due), or past due (overdue)"
            ),
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ComplaintRead]:
        items, total = await complaints.list_complaints(
            status.value if status else None,
            batch_no,
            q,
            limit,
            offset,
            category=category.value if category else None,
            pharmacovigilance=pharmacovigilance,
            obligation=obligation.value if obligation else None,
        )
        return Page(items=[complaint_read(c) for c in items], total=total)

    @get("/trends", operation_id="ComplaintTrends", guards=[QUALITY_READ])
    async def complaint_trends(
        self,
        start: Annotated[
            date | None,
            QueryParameter(name="from", description="First day counted (default: 12 months back)"),
        ] = None,
        end: Annotated[
            date | None, QueryParameter(name="to", description="Last day counted (default: today)")
        ] = None,
    ) -> ComplaintTrendsRead:
        trends = await complaints.complaint_trends(start, end)
        return ComplaintTrendsRead(trends.by_month, trends.by_batch, trends.start, trends.end)

    @post(
        "/{complaint_id:int}/triage",
        operation_id="TriageComplaint",
        guards=[QA_ONLY],
        status_code=200,
        responses={404: NO_SUCH_COMPLAINT, 409: REFUSED_MOVE, 422: RULE_BROKEN},
    )
    async def triage_complaint(
        self,
        complaint_id: ComplaintId,
        data: JSONBody[ComplaintTriage],
        request: Request[Actor, Any, Any],
    ) -> ComplaintDetailRead:
        triage = command(complaints.TriageRequest, data)
        complaint = await complaints.triage_complaint(request.user, complaint_id, triage)
        return await complaint_detail(complaint)

    @post(
        "/{complaint_id:int}/reply",
        operation_id="ReplyToComplaint",
        guards=[COMPLAINT_INTAKE],
        responses={404: NO_SUCH_COMPLAINT, 409: REFUSED_MOVE, 422: RULE_BROKEN},
    )
    async def reply_to_complaint(
        self,
        complaint_id: ComplaintId,
        data: JSONBody[ReplyCreate],
        request: Request[Actor, Any, Any],
    ) -> ComplaintDetailRead:
        complaint = await complaints.reply_to_complaint(request.user, complaint_id, data.text)
        return await complaint_detail(complaint)

    @post(
        "/{complaint_id:int}/close",
        operation_id="CloseComplaint",
        guards=[QA_ONLY],
        status_code=200,
        responses={404: NO_SUCH_COMPLAINT, 409: REFUSED_MOVE, 422: RULE_BROKEN},
    )
    async def close_complaint(
        self,
        complaint_id: ComplaintId,
        data: JSONBody[ComplaintClose],
        request: Request[Actor, Any, Any],
    ) -> ComplaintDetailRead:
        complaint = await investigations.close_complaint(
            request.user, complaint_id, data.resolution
        )
        return await complaint_detail(complaint)

    @post(
        "/{complaint_id:int}/obligations/{kind:str}/submission",
        operation_id="RecordObligationSubmission",
        guards=[QA_STAFF],
        description="Record that a report the complaint owes an authority was sent; "
        "`authority` (profile key or name) picks among several of one kind, else the "
        "earliest due one not yet submitted.",
        responses={
            404: ResponseSpec(ErrorRead, description="No such complaint, or no such report owed"),
            409: ResponseSpec(ErrorRead, description="Already submitted"),
            422: RULE_BROKEN,
        },
    )
    async def record_obligation_submission(
        self,
        complaint_id: ComplaintId,
        kind: Annotated[str, PathParameter(max_length=40, description="The report's kind")],
        data: JSONBody[ObligationSubmissionCreate],
        request: Request[Actor, Any, Any],
    ) -> ObligationRead:
        submission = command(complaints.ObligationSubmission, data)
        obligation = await complaints.record_obligation_submission(
            request.user, complaint_id, kind, submission
        )
        return read_model(ObligationRead, obligation)

    @get(
        "/{complaint_id:int}",
        operation_id="GetComplaint",
        guards=[READ_ALL],
        responses={404: NO_SUCH_COMPLAINT},
    )
    async def get_complaint(self, complaint_id: ComplaintId) -> ComplaintDetailRead:
        return await complaint_detail(await complaints.get_complaint(complaint_id))

"""The consignee's notices: read, acknowledge, stock, returns, its customers (cascade)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, PathParameter

from recall import notices
from recall.actors import Actor
from recall.notices import StoredAnswer
from web.api.schemas import ErrorRead, Limit, Offset, Page, command, read_model
from web.idempotency import header_key, replay
from web.queue import kick
from web.security import DISTRIBUTOR_ONLY

NoticeId = Annotated[int, PathParameter(description="The notice's id")]
NOT_FOUND = {404: ResponseSpec(ErrorRead, description="No such notice of yours")}


class NoticeBatchRead(msgspec.Struct):
    """A recalled batch as its consignees see it: without our id of the batch."""

    gtin: str
    batch_no: str
    expires_on: date
    product_name: str


class NoticeRecallRead(msgspec.Struct):
    reference: str
    recall_class: str
    reason: str
    depth: str
    drill: bool
    batches: list[NoticeBatchRead]


class NoticeRead(msgspec.Struct):
    id: int
    recall: NoticeRecallRead
    tier: int
    status: str
    acknowledged_at: datetime | None
    respond_by: datetime | None
    lines: list[notices.NoticeLineShown]


class ReturnsRead(NoticeRead):
    duplicates: list[notices.DuplicateScan]


Quantity = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]
BatchNo = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class StockLineCreate(msgspec.Struct):
    batch_no: BatchNo
    quantity_on_hand: Quantity
    quarantined: Quantity


class StockCreate(msgspec.Struct):
    lines: Annotated[list[StockLineCreate], msgspec.Meta(min_length=1, max_length=1000)]


class ReturnLineCreate(msgspec.Struct):
    batch_no: BatchNo
    quantity: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]


class ReturnsCreate(msgspec.Struct):
    """Either `lines` (quantities per batch) or `scans` (GS1 barcodes), not both."""

    lines: Annotated[list[ReturnLineCreate], msgspec.Meta(max_length=1000)] | None = None
    scans: (
        Annotated[
            list[Annotated[str, msgspec.Meta(max_length=200)]], msgspec.Meta(max_length=10_000)
        ]
        | None
    ) = None


class SubConsigneeCreate(msgspec.Struct):
    """A customer you passed some of a batch on to; a known code keeps its stored record."""

    code: Annotated[str, msgspec.Meta(max_length=40)]
    name: Annotated[str, msgspec.Meta(max_length=200)]
    kind: Annotated[str, msgspec.Meta(max_length=20)]
    batch_no: BatchNo
    quantity: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    webhook_url: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    # ISO 3166 alpha-2 of a new customer ("US", any case); without it, your own country.
    country: Annotated[str, msgspec.Meta(max_length=100, examples=["ID"])] | None = None


class SubConsigneesCreate(msgspec.Struct):
    consignees: Annotated[list[SubConsigneeCreate], msgspec.Meta(min_length=1, max_length=1000)]


S = TypeVar("S")


def answer(shape: type[S], result: object, status_code: int = 200) -> Response[S]:
    """The use case's result as a response, or the stored first answer to a repeat."""
    if isinstance(result, StoredAnswer):
        return replay(shape, result)
    return Response(read_model(shape, result), status_code=status_code)


CHANGE = {
    **NOT_FOUND,
    409: ResponseSpec(
        ErrorRead, description="The recall is closed, or the notice changed meanwhile"
    ),
}
IDEMPOTENT = {
    400: ResponseSpec(ErrorRead, description="Idempotency-Key empty or over 200 characters"),
    422: ResponseSpec(ErrorRead, description="Idempotency-Key reused for a different request"),
}


class NoticeController(Controller):
    path = "/api/notices"
    tags = ["notices"]
    guards = [DISTRIBUTOR_ONLY]

    @get("/", operation_id="ListMyNotices", description="Your consignee's notices, newest first.")
    async def list_notices(
        self, request: Request[Actor, Any, Any], limit: Limit = 50, offset: Offset = 0
    ) -> Page[NoticeRead]:
        items, total = await notices.list_own_notices(request.user, limit, offset)
        return Page([read_model(NoticeRead, item) for item in items], total)

    @get("/{notice_id:int}", operation_id="GetMyNotice", responses=NOT_FOUND)
    async def get_notice(
        self, notice_id: NoticeId, request: Request[Actor, Any, Any]
    ) -> NoticeRead:
        return read_model(NoticeRead, await notices.get_own_notice(request.user, notice_id))

    @post(
        "/{notice_id:int}/acknowledge",
        operation_id="AcknowledgeNotice",
        status_code=200,
        description="Confirm the notice was received. Honours an Idempotency-Key header.",
        responses={
            **NOT_FOUND,
            **IDEMPOTENT,
            409: ResponseSpec(ErrorRead, description="The recall is closed"),
        },
    )
    async def acknowledge(
        self, notice_id: NoticeId, request: Request[Actor, Any, Any]
    ) -> Response[NoticeRead]:
        key = await header_key(request)
        result = await notices.acknowledge_notice(request.user, notice_id, key)
        return answer(NoticeRead, result)

    @post(
        "/{notice_id:int}/stock",
        operation_id="ReportNoticeStock",
        status_code=200,
        description="Report stock still held and quarantined per batch; the latest report wins. "
        "Honours an Idempotency-Key header.",
        responses={**CHANGE, **IDEMPOTENT},
    )
    async def report_stock(
        self,
        notice_id: NoticeId,
        data: JSONBody[StockCreate],
        request: Request[Actor, Any, Any],
    ) -> Response[NoticeRead]:
        key = await header_key(request)
        report = command(notices.StockReport, data)
        result = await notices.report_stock(request.user, notice_id, report, key)
        return answer(NoticeRead, result)

    @post(
        "/{notice_id:int}/returns",
        operation_id="RecordNoticeReturns",
        status_code=200,
        description="Record returned packs as quantities per batch or as GS1 scans; a serial "
        "scanned twice counts once. Honours an Idempotency-Key header.",
        responses={**CHANGE, **IDEMPOTENT},
    )
    async def record_returns(
        self,
        notice_id: NoticeId,
        data: JSONBody[ReturnsCreate],
        request: Request[Actor, Any, Any],
    ) -> Response[ReturnsRead]:
        key = await header_key(request)
        returned = command(notices.StockReturn, data)
        result = await notices.record_returns(request.user, notice_id, returned, key)
        return answer(ReturnsRead, result)

    @post(
        "/{notice_id:int}/sub-consignees",
        operation_id="NameSubConsignees",
        status_code=201,
        after_response=kick,
        description="Name the customers you passed recalled batches on to (at most 1000 entries). "
        "Each gets its own notice one tier below yours when the recall's depth reaches its kind; "
        "a known code keeps its stored record, a new code creates a consignee under you. Per "
        "batch, everything named may not exceed what you received. Honours an Idempotency-Key.",
        responses={
            **CHANGE,
            **IDEMPOTENT,
            422: ResponseSpec(
                ErrorRead,
                description="A value breaks a rule (e.g. consignees[0].kind beyond the depth, "
                "a batch not in the notice, more than received), or Idempotency-Key reused",
            ),
        },
    )
    async def name_sub_consignees(
        self,
        notice_id: NoticeId,
        data: JSONBody[SubConsigneesCreate],
        request: Request[Actor, Any, Any],
    ) -> Response[notices.SubConsigneesNamed]:
        key = await header_key(request)
        naming = command(notices.SubConsigneeNaming, data)
        result = await notices.name_sub_consignees(request.user, notice_id, naming, key)
        return answer(notices.SubConsigneesNamed, result, status_code=201)

    @get(
        "/{notice_id:int}/sub-consignees",
        operation_id="ListSubConsignees",
        description="The notices your named customers got through this notice.",
        responses=NOT_FOUND,
    )
    async def list_sub_consignees(
        self,
        notice_id: NoticeId,
        request: Request[Actor, Any, Any],
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[notices.SubConsigneeNotice]:
        items, total = await notices.list_sub_consignees(request.user, notice_id, limit, offset)
        return Page(items, total)

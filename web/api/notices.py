"""The consignee's notices: list, read, acknowledge (with Idempotency-Key replays)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ClientException
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, PathParameter

from recall import notices
from recall.auth import Actor
from recall.notices import IdempotencyKey, StoredAnswer, idempotency
from web.api.schemas import ErrorRead, Limit, Offset, Page, read_model
from web.security import DISTRIBUTOR_ONLY

NoticeId = Annotated[int, PathParameter(description="The notice's id")]
NOT_FOUND = {404: ResponseSpec(ErrorRead, description="No such notice of yours")}


class NoticeBatchRead(msgspec.Struct):
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


class NoticeLineRead(msgspec.Struct):
    batch_no: str
    gtin: str
    quantity_distributed: int
    quantity_on_hand: int | None
    quantity_quarantined: int | None
    quantity_returned: int


class NoticeRead(msgspec.Struct):
    id: int
    recall: NoticeRecallRead
    tier: int
    status: str
    acknowledged_at: datetime | None
    respond_by: datetime | None
    lines: list[NoticeLineRead]


class DuplicateScanRead(msgspec.Struct):
    barcode: str
    serial: str | None


class ReturnsRead(NoticeRead):
    duplicates: list[DuplicateScanRead]


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


S = TypeVar("S", bound=msgspec.Struct)


async def idempotency_key(request: Request[Actor, Any, Any]) -> IdempotencyKey | None:
    """The request's Idempotency-Key with its fingerprint; None without the header."""
    key = request.headers.get(idempotency.HEADER)
    if key is None:
        return None
    problem = idempotency.key_problem(key)
    if problem:
        raise ClientException(f"{idempotency.HEADER}: {problem}")
    fingerprint = idempotency.request_hash(request.method, request.url.path, await request.body())
    return IdempotencyKey(key, fingerprint)


def answer(struct: type[S], result: object, status_code: int = 200) -> Response[S]:
    """The use case's result as a response, or the stored first answer to a repeat."""
    if isinstance(result, StoredAnswer):
        replay = msgspec.json.decode(result.body, type=struct)
        return Response(replay, status_code=result.status_code)
    return Response(read_model(struct, result), status_code=status_code)


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
        key = await idempotency_key(request)
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
        key = await idempotency_key(request)
        lines = [
            notices.StockLine(line.batch_no, line.quantity_on_hand, line.quarantined)
            for line in data.lines
        ]
        result = await notices.report_stock(request.user, notice_id, lines, key)
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
        key = await idempotency_key(request)
        lines = (
            None
            if data.lines is None
            else [notices.ReturnLine(line.batch_no, line.quantity) for line in data.lines]
        )
        result = await notices.record_returns(request.user, notice_id, lines, data.scans, key)
        return answer(ReturnsRead, result)

"""The consignee's notices: list, read, acknowledge (with Idempotency-Key replays)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ClientException
from litestar.openapi import ResponseSpec
from litestar.params import PathParameter

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


class NoticeRead(msgspec.Struct):
    id: int
    recall: NoticeRecallRead
    tier: int
    status: str
    acknowledged_at: datetime | None
    respond_by: datetime | None
    lines: list[NoticeLineRead]


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

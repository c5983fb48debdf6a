"""Scope amendments of a running recall: proposal (QA) and e-signed approval (QA manager)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, PathParameter

from recall import masterdata, recalls
from recall.actors import Actor
from web.api.schemas import ErrorRead, Page, errors, read_model
from web.queue import kick
from web.security import QA_MANAGER_ONLY, QA_ONLY, QUALITY_READ

RecallId = Annotated[int, PathParameter(description="The recall's id")]
AmendmentId = Annotated[int, PathParameter(description="The amendment's id")]
NOT_FOUND = errors({404: "No such recall or amendment"})


class AmendmentCreate(msgspec.Struct):
    # Exactly one of batch_ids and material_lot_id; reason is required (422 naming it).
    reason: Annotated[str, msgspec.Meta(max_length=5000)] | None = None
    batch_ids: Annotated[list[int], msgspec.Meta(max_length=1000)] | None = None
    material_lot_id: int | None = None


class AmendmentApprove(msgspec.Struct):
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    meaning: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class AmendmentRead(msgspec.Struct):
    id: int
    recall_id: int
    number: int
    status: str
    reason: str
    material_lot: masterdata.MaterialLot | None
    # The batches it adds, in the shape of the recall's `batches`.
    batches_added: list[masterdata.BatchView]
    # Consignees within the recall's depth newly reached (at approval: those sent a notice).
    consignees_added: int
    proposed_at: datetime
    proposed_by_name: str | None
    approved_at: datetime | None
    approved_by_name: str | None
    signature: recalls.SignatureShown | None


def amendment_read(amendment: recalls.Amendment) -> AmendmentRead:
    return read_model(AmendmentRead, amendment)


class AmendmentController(Controller):
    path = "/api/recalls/{recall_id:int}/amendments"
    tags = ["recalls"]

    @post(
        "/",
        operation_id="ProposeRecallAmendment",
        guards=[QA_ONLY],
        description=(
            "Propose adding batches, or every batch that used a material lot, to a recall in "
            "progress; answers what it adds and how many consignees it newly reaches."
        ),
        responses={
            **NOT_FOUND,
            409: ResponseSpec(ErrorRead, description="The recall is not in progress"),
            422: ResponseSpec(ErrorRead, description="A value breaks a rule (field named)"),
        },
    )
    async def propose(
        self,
        recall_id: RecallId,
        data: JSONBody[AmendmentCreate],
        request: Request[Actor, Any, Any],
    ) -> AmendmentRead:
        amendment = await recalls.propose_amendment(
            request.user, recall_id, data.reason, data.batch_ids, data.material_lot_id
        )
        return amendment_read(amendment)

    @post(
        "/{amendment_id:int}/approve",
        operation_id="ApproveRecallAmendment",
        guards=[QA_MANAGER_ONLY],
        after_response=kick,
        status_code=200,
        description=(
            "Approve with an electronic signature (password re-checked; four eyes). Adds the "
            "batches, sends notices to newly reached consignees and an update to those "
            "already reached."
        ),
        responses={
            **NOT_FOUND,
            401: ResponseSpec(ErrorRead, description="Wrong password; nothing changed"),
            403: ResponseSpec(ErrorRead, description="The proposer cannot approve (four eyes)"),
            409: ResponseSpec(ErrorRead, description="Approved already, or recall not running"),
            429: ResponseSpec(ErrorRead, description="Signing locked after wrong passwords"),
        },
    )
    async def approve(
        self,
        recall_id: RecallId,
        amendment_id: AmendmentId,
        data: JSONBody[AmendmentApprove],
        request: Request[Actor, Any, Any],
    ) -> AmendmentRead:
        amendment = await recalls.approve_amendment(
            request.user, recall_id, amendment_id, data.password, data.meaning
        )
        return amendment_read(amendment)

    @get("/", operation_id="ListRecallAmendments", guards=[QUALITY_READ], responses=NOT_FOUND)
    async def list_amendments(self, recall_id: RecallId) -> Page[AmendmentRead]:
        found = [amendment_read(a) for a in await recalls.list_amendments(recall_id)]
        return Page(items=found, total=len(found))

    @get(
        "/{amendment_id:int}",
        operation_id="GetRecallAmendment",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
    )
    async def get_amendment(self, recall_id: RecallId, amendment_id: AmendmentId) -> AmendmentRead:
        return amendment_read(await recalls.get_amendment(recall_id, amendment_id))

"""Recalls: proposal, e-signed approval, the recall with its progress, and its notices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, Parameter, PathParameter

from recall import recalls
from recall.actors import Actor
from recall.recalls import Depth, RecallClass, RecallStatus, RecallType
from web.api.schemas import ErrorRead, Limit, Offset, Page, command, read_model
from web.queue import kick
from web.security import QA_MANAGER_ONLY, QA_ONLY, QUALITY_READ

LongText = Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
Id = Annotated[int, msgspec.Meta(ge=1)]

NOT_FOUND = {404: ResponseSpec(ErrorRead, description="No such recall")}
RecallId = Annotated[int, PathParameter(description="The recall's id")]


class RecallCreate(msgspec.Struct):
    reason: LongText
    recall_class: RecallClass
    recall_type: RecallType
    depth: Depth
    profile: Annotated[str, msgspec.Meta(min_length=1, max_length=20, examples=["bpom"])]
    health_hazard_assessment: LongText
    # Exactly one of batch_ids and material_lot_id.
    batch_ids: Annotated[list[Id], msgspec.Meta(max_length=1000)] | None = None
    material_lot_id: Id | None = None
    investigation_id: Id | None = None
    authority_reference: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    drill: bool = False


class RecallApprove(msgspec.Struct):
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    meaning: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class RecalledBatchRead(msgspec.Struct):
    id: int
    batch_no: str
    gtin: str
    product_name: str
    expires_on: date


class MaterialLotRead(msgspec.Struct):
    id: int
    material: str
    lot_no: str
    supplier: str


class DeadlineRead(msgspec.Struct):
    name: str
    due_at: datetime
    rule: str


class SignatureRead(msgspec.Struct):
    full_name: str
    meaning: str
    signed_at: datetime
    action: str
    record_hash: str


class RecallRead(msgspec.Struct):
    id: int
    reference: str
    status: str
    drill: bool
    recall_class: str
    recall_type: str
    authority_reference: str | None
    depth: str
    profile: str
    reason: str
    health_hazard_assessment: str
    investigation_id: int | None
    material_lot: MaterialLotRead | None
    batches: list[RecalledBatchRead]
    proposed_at: datetime
    approved_at: datetime | None
    version: int
    deadlines: list[DeadlineRead]
    signatures: list[SignatureRead]
    consignees_total: int
    notified: int
    acknowledged: int
    responded: int
    overdue: int
    quantity_distributed: int
    quantity_on_hand: int
    quantity_returned: int
    quantity_destroyed: int
    quantity_unaccounted: int
    closed_at: datetime | None
    closure_justification: str | None
    # Readiness, reported for every recall (drills above all): seconds to build the
    # consignee list at approval, and from approval to the last notice delivered (null
    # while some notice is not delivered yet).
    time_to_trace_seconds: float | None
    time_to_notify_seconds: float | None


class RecallSummaryRead(msgspec.Struct):
    id: int
    reference: str
    status: str
    drill: bool
    recall_class: str
    recall_type: str
    depth: str
    profile: str
    proposed_at: datetime
    approved_at: datetime | None


class NoticeSummaryRead(msgspec.Struct):
    id: int
    consignee_code: str
    consignee_name: str
    tier: int
    status: str
    acknowledged_at: datetime | None
    quantity_distributed: int


def recall_read(recall: recalls.Recall) -> RecallRead:
    progress = recall.progress
    return RecallRead(
        id=recall.id,
        reference=recall.reference,
        status=recall.status,
        drill=recall.drill,
        recall_class=recall.recall_class,
        recall_type=recall.recall_type,
        authority_reference=recall.authority_reference,
        depth=recall.depth,
        profile=recall.profile,
        reason=recall.reason,
        health_hazard_assessment=recall.health_hazard_assessment,
        investigation_id=recall.investigation_id,
        material_lot=read_model(MaterialLotRead, recall.material_lot)
        if recall.material_lot
        else None,
        batches=[read_model(RecalledBatchRead, batch) for batch in recall.batches],
        proposed_at=recall.proposed_at,
        approved_at=recall.approved_at,
        version=recall.version,
        deadlines=[read_model(DeadlineRead, deadline) for deadline in recall.deadlines],
        signatures=[read_model(SignatureRead, signature) for signature in recall.signatures],
        consignees_total=progress.consignees_total,
        notified=progress.notified,
        acknowledged=progress.acknowledged,
        responded=progress.responded,
        overdue=progress.overdue,
        quantity_distributed=progress.quantity_distributed,
        quantity_on_hand=progress.quantity_on_hand,
        quantity_returned=progress.quantity_returned,
        quantity_destroyed=progress.quantity_destroyed,
        quantity_unaccounted=progress.quantity_unaccounted,
        closed_at=recall.closed_at,
        closure_justification=recall.closure_justification,
        time_to_trace_seconds=recall.time_to_trace_seconds,
        time_to_notify_seconds=recall.time_to_notify_seconds,
    )


class RecallController(Controller):
    path = "/api/recalls"
    tags = ["recalls"]

    @post(
        "/",
        operation_id="ProposeRecall",
        guards=[QA_ONLY],
        description="Propose a recall of batches, or of every batch that used a material lot.",
        responses={
            400: ResponseSpec(ErrorRead, description="Malformed body"),
            422: ResponseSpec(ErrorRead, description="A value breaks a rule (field named)"),
        },
    )
    async def propose_recall(
        self, data: JSONBody[RecallCreate], request: Request[Actor, Any, Any]
    ) -> RecallRead:
        recall = await recalls.propose_recall(request.user, command(recalls.RecallProposal, data))
        return recall_read(recall)

    @post(
        "/{recall_id:int}/approve",
        operation_id="ApproveRecall",
        guards=[QA_MANAGER_ONLY],
        after_response=kick,
        status_code=200,
        description=(
            "Approve with an electronic signature (password re-checked). Stores the deadlines "
            "and creates one pending notice per consignee within the depth."
        ),
        responses={
            **NOT_FOUND,
            401: ResponseSpec(ErrorRead, description="Wrong password; nothing changed"),
            403: ResponseSpec(ErrorRead, description="The proposer cannot approve (four eyes)"),
            409: ResponseSpec(ErrorRead, description="Not proposed, or approved meanwhile"),
        },
    )
    async def approve_recall(
        self,
        recall_id: RecallId,
        data: JSONBody[RecallApprove],
        request: Request[Actor, Any, Any],
    ) -> RecallRead:
        recall = await recalls.approve_recall(request.user, recall_id, data.password, data.meaning)
        return recall_read(recall)

    @get("/", operation_id="ListRecalls", guards=[QUALITY_READ])
    async def list_recalls(
        self,
        status: Annotated[
            RecallStatus | None, Parameter(description="Only recalls in this status")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[RecallSummaryRead]:
        items, total = await recalls.list_recalls(status.value if status else None, limit, offset)
        return Page(items=[read_model(RecallSummaryRead, item) for item in items], total=total)

    @get("/{recall_id:int}", operation_id="GetRecall", guards=[QUALITY_READ], responses=NOT_FOUND)
    async def get_recall(self, recall_id: RecallId) -> RecallRead:
        return recall_read(await recalls.get_recall(recall_id))

    @get(
        "/{recall_id:int}/notices",
        operation_id="ListRecallNotices",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
    )
    async def list_notices(
        self, recall_id: RecallId, limit: Limit = 50, offset: Offset = 0
    ) -> Page[NoticeSummaryRead]:
        items, total = await recalls.list_recall_notices(recall_id, limit, offset)
        return Page(items=[read_model(NoticeSummaryRead, item) for item in items], total=total)

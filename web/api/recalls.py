"""Recalls: proposal, e-signed approval, the recall with its progress, and its notices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, Parameter, PathParameter

from recall import masterdata, notices, recalls
from recall.actors import Actor
from recall.recalls import Depth, PublicWarningLevel, RecallClass, RecallStatus, RecallType
from web.api.amendments import AmendmentRead
from web.api.schemas import ErrorRead, Limit, Offset, Page, command, errors, read_model
from web.queue import kick
from web.security import QA_MANAGER_ONLY, QA_ONLY, QUALITY_READ

LongText = Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
Id = Annotated[int, msgspec.Meta(ge=1)]

NOT_FOUND = errors({404: "No such recall"})
INVALID = errors({400: "Malformed body", 422: "A value breaks a rule (field named)"})
NOT_IN_PROGRESS = errors({409: "The recall is not in progress"})
RecallId = Annotated[int, PathParameter(description="The recall's id")]


class RecallCreate(msgspec.Struct):
    reason: LongText
    recall_class: RecallClass
    recall_type: RecallType
    depth: Depth
    health_hazard_assessment: LongText
    # One of profile and profiles; profiles lists every market's profile, the first first.
    profile: Annotated[str, msgspec.Meta(min_length=1, max_length=20, examples=["bpom"])] | None = (
        None
    )
    profiles: (
        Annotated[list[str], msgspec.Meta(max_length=10, examples=[["bpom", "fda"]])] | None
    ) = None
    # Exactly one of batch_ids and material_lot_id.
    batch_ids: Annotated[list[Id], msgspec.Meta(max_length=1000)] | None = None
    material_lot_id: Id | None = None
    investigation_id: Id | None = None
    authority_reference: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    drill: bool = False
    # The date of the authority's order letter: required for a mandatory recall only.
    ordered_on: date | None = None
    # Required for a class I recall to consumer level; "none" otherwise when left out.
    public_warning: PublicWarningLevel | None = None


class RecallApprove(msgspec.Struct):
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    meaning: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class RecallRead(msgspec.Struct):
    """A recall with its progress figures alongside (the domain keeps them apart)."""

    id: int
    reference: str
    status: str
    drill: bool
    recall_class: str
    recall_type: str
    authority_reference: str | None
    depth: str
    profile: str
    profiles: list[str]
    ordered_on: date | None
    public_warning: str | None
    public_warnings: list[recalls.PublicWarning]
    reason: str
    health_hazard_assessment: str
    investigation_id: int | None
    material_lot: masterdata.MaterialLot | None
    batches: list[masterdata.BatchView]
    proposed_at: datetime
    approved_at: datetime | None
    version: int
    deadlines: list[recalls.Deadline]
    signatures: list[recalls.SignatureShown]
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
    # SPEC Retention: the later of latest expiry + 1 year and latest manufacture + 5 years.
    retain_until: date | None
    # Scope amendments, first first (SPEC Lifecycle).
    amendments: list[AmendmentRead]


def recall_read(recall: recalls.Recall) -> RecallRead:
    return read_model(RecallRead, recall, recall.progress)


class RecallController(Controller):
    path = "/api/recalls"
    tags = ["recalls"]

    @post(
        "/",
        operation_id="ProposeRecall",
        guards=[QA_ONLY],
        description="Propose a recall of batches, or of every batch that used a material lot.",
        responses=INVALID,
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
    ) -> Page[recalls.RecallSummary]:
        items, total = await recalls.list_recalls(status.value if status else None, limit, offset)
        return Page(items=items, total=total)

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
    ) -> Page[notices.NoticeSummary]:
        items, total = await recalls.list_recall_notices(recall_id, limit, offset)
        return Page(items=items, total=total)

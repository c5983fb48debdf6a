"""Close-out of a recall: reconciliation, destruction records, effectiveness checks, closure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, PathParameter

from recall import recalls
from recall.actors import Actor
from recall.recalls import ContactMethod, ContactOutcome, EffectivenessLevel
from web.api.recalls import (
    INVALID,
    NOT_FOUND,
    NOT_IN_PROGRESS,
    RecallId,
    RecallRead,
    recall_read,
)
from web.api.schemas import ErrorRead, Limit, Offset, Page, read_model
from web.queue import kick
from web.security import QA_MANAGER_ONLY, QA_ONLY, QUALITY_READ

CheckId = Annotated[int, PathParameter(description="The effectiveness check's id")]
ContactId = Annotated[int, PathParameter(description="The sampled contact's id")]
OneLine = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


# Reconciliation ---------------------------------------------------------------------------


class ReconciliationLineRead(msgspec.Struct):
    batch_no: str
    gtin: str
    product_name: str
    quantity_produced: int
    quantity_distributed: int
    quantity_on_hand: int
    quantity_returned: int
    quantity_destroyed: int
    quantity_unaccounted: int


class ReconciliationTotalsRead(msgspec.Struct):
    quantity_produced: int
    quantity_distributed: int
    quantity_on_hand: int
    quantity_returned: int
    quantity_destroyed: int
    quantity_unaccounted: int


class TierReconciliationRead(msgspec.Struct):
    tier: int
    batches: list[ReconciliationLineRead]
    totals: ReconciliationTotalsRead


class ReconciliationRead(msgspec.Struct):
    batches: list[ReconciliationLineRead]
    totals: ReconciliationTotalsRead
    tiers: list[TierReconciliationRead]


class ReconciliationController(Controller):
    path = "/api/recalls/{recall_id:int}/reconciliation"
    tags = ["close-out"]

    @get(
        "/",
        operation_id="GetReconciliation",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
        description=(
            "Per batch: what left the plant against what tier-1 consignees hold, returned and "
            "destroyed on site; per tier: the same for what each tier received. Unaccounted "
            "may be negative when consignees over-report."
        ),
    )
    async def get_reconciliation(self, recall_id: RecallId) -> ReconciliationRead:
        return read_model(ReconciliationRead, await recalls.reconcile(recall_id))


# Destruction records ----------------------------------------------------------------------


class WitnessCreate(msgspec.Struct):
    name: str | None = None
    # Free text: BPOM, Balai Besar POM di <city>, Dinas Kesehatan, internal QA.
    agency: str | None = None


class DestructionCreate(msgspec.Struct):
    batch_no: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
    method: OneLine
    place: OneLine
    destroyed_on: date
    # Checked by the use case (422 naming the field): needed only when no witnesses are given.
    witness: str | None = None
    # Destroyed on site at this consignee; without it, returned stock destroyed at the plant.
    consignee_code: Annotated[str, msgspec.Meta(min_length=1, max_length=50)] | None = None
    # Only needed when two recalled products share the batch number.
    gtin: Annotated[str, msgspec.Meta(min_length=8, max_length=14)] | None = None
    # The berita acara pemusnahan: its number, who destroyed the units, who witnessed.
    document_no: str | None = None
    executor: str | None = None
    witnesses: list[WitnessCreate] | None = None


def destruction_fields(data: DestructionCreate) -> dict[str, Any]:
    """The request as record_destruction's keyword arguments."""
    witnesses = [recalls.Witness(w.name or "", w.agency or "") for w in data.witnesses or ()]
    return {**msgspec.structs.asdict(data), "witnesses": witnesses}


class DestructionController(Controller):
    path = "/api/recalls/{recall_id:int}/destructions"
    tags = ["close-out"]

    @post(
        "/",
        operation_id="RecordDestruction",
        guards=[QA_ONLY],
        description=(
            "Record destroyed units: on site at a consignee (counts as destroyed for its "
            "notice), or without consignee_code returned stock destroyed at the plant (listed, "
            "not counted again). The berita acara's document_no, executor and witnesses "
            "[{name, agency}] are kept with it; witness may then be left out (it names the "
            "first witness)."
        ),
        responses={**NOT_FOUND, **INVALID, **NOT_IN_PROGRESS},
    )
    async def record_destruction(
        self,
        recall_id: RecallId,
        data: JSONBody[DestructionCreate],
        request: Request[Actor, Any, Any],
    ) -> recalls.DestructionRecord:
        return await recalls.record_destruction(request.user, recall_id, **destruction_fields(data))

    @get("/", operation_id="ListDestructions", guards=[QUALITY_READ], responses=NOT_FOUND)
    async def list_destructions(
        self, recall_id: RecallId, limit: Limit = 50, offset: Offset = 0
    ) -> Page[recalls.DestructionRecord]:
        items, total = await recalls.list_destructions(recall_id, limit, offset)
        return Page(items, total)


# Effectiveness checks ---------------------------------------------------------------------


class EffectivenessCheckCreate(msgspec.Struct):
    level: EffectivenessLevel
    # Required for level B (strictly between 10 and 100); must match the level otherwise.
    sample_percent: Annotated[int, msgspec.Meta(ge=0, le=100)] | None = None


class ContactOutcomeCreate(msgspec.Struct):
    method: ContactMethod
    outcome: ContactOutcome
    notes: Annotated[str, msgspec.Meta(max_length=5000)] | None = None
    # Needed to change an outcome already recorded; kept in the audit trail.
    correction_reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)] | None = None


class EffectivenessCheckSummaryRead(msgspec.Struct):
    """A check with its computed `pending` count."""

    id: int
    recall_id: int
    level: str
    sample_percent: int
    seed: str
    population: int
    created_at: datetime
    created_by: int | None
    contacts_total: int
    contacted: int
    effective: int
    ineffective: int
    pending: int


class EffectivenessCheckRead(EffectivenessCheckSummaryRead):
    contacts: list[recalls.EffectivenessContactShown]


class EffectivenessCheckController(Controller):
    path = "/api"
    tags = ["close-out"]

    @post(
        "/recalls/{recall_id:int}/effectiveness-checks",
        operation_id="StartEffectivenessCheck",
        guards=[QA_ONLY],
        description=(
            "Start a check at FDA level A (100 %), B (sample_percent, above 10 and below 100), "
            "C (10 %), D (2 %) or E (none) over a random sample of the recall's consignees; "
            "the stored seed redraws the same sample."
        ),
        responses={**NOT_FOUND, **INVALID, **NOT_IN_PROGRESS},
    )
    async def start_check(
        self,
        recall_id: RecallId,
        data: JSONBody[EffectivenessCheckCreate],
        request: Request[Actor, Any, Any],
    ) -> EffectivenessCheckRead:
        check = await recalls.start_effectiveness_check(
            request.user, recall_id, data.level.value, data.sample_percent
        )
        return read_model(EffectivenessCheckRead, check)

    @get(
        "/recalls/{recall_id:int}/effectiveness-checks",
        operation_id="ListEffectivenessChecks",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
    )
    async def list_checks(
        self, recall_id: RecallId, limit: Limit = 50, offset: Offset = 0
    ) -> Page[EffectivenessCheckSummaryRead]:
        items, total = await recalls.list_effectiveness_checks(recall_id, limit, offset)
        return Page([read_model(EffectivenessCheckSummaryRead, item) for item in items], total)

    @get(
        "/effectiveness-checks/{check_id:int}",
        operation_id="GetEffectivenessCheck",
        guards=[QUALITY_READ],
        responses={404: ResponseSpec(ErrorRead, description="No such check")},
    )
    async def get_check(self, check_id: CheckId) -> EffectivenessCheckRead:
        return read_model(EffectivenessCheckRead, await recalls.get_effectiveness_check(check_id))

    @post(
        "/effectiveness-checks/{check_id:int}/contacts/{contact_id:int}",
        operation_id="RecordContactOutcome",
        guards=[QA_ONLY],
        status_code=200,
        after_response=kick,
        description=(
            "Record how a sampled consignee was checked and the outcome; an ineffective "
            "outcome alerts QA. Recording again needs a correction_reason."
        ),
        responses={
            404: ResponseSpec(ErrorRead, description="No such contact in this check"),
            **INVALID,
            409: ResponseSpec(
                ErrorRead, description="Already recorded (no correction_reason), or closed"
            ),
        },
    )
    async def record_outcome(
        self,
        check_id: CheckId,
        contact_id: ContactId,
        data: JSONBody[ContactOutcomeCreate],
        request: Request[Actor, Any, Any],
    ) -> recalls.EffectivenessContactShown:
        return await recalls.record_contact_outcome(
            request.user,
            check_id,
            contact_id,
            method=data.method.value,
            outcome=data.outcome.value,
            notes=data.notes,
            correction_reason=data.correction_reason,
        )


# Closure ----------------------------------------------------------------------------------


class RecallClose(msgspec.Struct):
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    meaning: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    # Required while any quantity is unaccounted for.
    justification: Annotated[str, msgspec.Meta(max_length=5000)] | None = None


class RecallClosureController(Controller):
    path = "/api/recalls/{recall_id:int}/close"
    tags = ["close-out"]

    @post(
        "/",
        operation_id="CloseRecall",
        guards=[QA_MANAGER_ONLY],
        status_code=200,
        description=(
            "Close with an electronic signature (password re-checked) over the final "
            "reconciliation; while any quantity is unaccounted a justification is required."
        ),
        responses={
            **NOT_FOUND,
            **INVALID,
            401: ResponseSpec(ErrorRead, description="Wrong password; nothing changed"),
            409: ResponseSpec(
                ErrorRead,
                description="Not in progress, changed meanwhile, or unaccounted units and no "
                "justification",
            ),
        },
    )
    async def close_recall(
        self, recall_id: RecallId, data: JSONBody[RecallClose], request: Request[Actor, Any, Any]
    ) -> RecallRead:
        recall = await recalls.close_recall(
            request.user, recall_id, data.password, data.meaning, data.justification
        )
        return recall_read(recall)

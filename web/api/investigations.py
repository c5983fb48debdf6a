"""Investigations over complaints, and their CAPA actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, Parameter, PathParameter
from msgspec import UNSET, UnsetType

from recall import investigations
from recall.actors import Actor
from recall.investigations import (
    CONCLUSION_MAX,
    DESCRIPTION_MAX,
    FINDINGS_MAX,
    MAX_AFFECTED_BATCHES,
    MAX_COMPLAINTS,
    NOTE_MAX,
    OWNER_MAX,
    ROOT_CAUSE_MAX,
    TITLE_MAX,
    CapaKind,
    InvestigationStatus,
    RootCauseCategory,
)
from web.api.schemas import ErrorRead, Limit, Offset, Page, command, read_model
from web.security import QA_ONLY, QUALITY_READ

Id = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
Version = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]

NOT_FOUND = {404: ResponseSpec(ErrorRead, description="No such record")}
WRITE_ERRORS = {
    400: ResponseSpec(ErrorRead, description="Malformed body: a field is missing or mistyped"),
    404: ResponseSpec(ErrorRead, description="No such record"),
    409: ResponseSpec(ErrorRead, description="Not allowed in the record's current state"),
    422: ResponseSpec(ErrorRead, description="A value breaks a rule; the detail names the field"),
}


class InvestigationCreate(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_MAX)]
    complaint_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_COMPLAINTS)]


class InvestigationUpdate(msgspec.Struct):
    """Only the fields present change; null clears a text field."""

    root_cause_category: RootCauseCategory | UnsetType | None = UNSET
    root_cause: Annotated[str, msgspec.Meta(max_length=ROOT_CAUSE_MAX)] | UnsetType | None = UNSET
    findings: Annotated[str, msgspec.Meta(max_length=FINDINGS_MAX)] | UnsetType | None = UNSET
    affected_batch_ids: (
        Annotated[list[Id], msgspec.Meta(max_length=MAX_AFFECTED_BATCHES)] | UnsetType
    ) = UNSET
    version: Version | None = None  # the version the client read; a stale one is refused (409)


class InvestigationConclude(msgspec.Struct):
    conclusion: Annotated[str, msgspec.Meta(min_length=1, max_length=CONCLUSION_MAX)]
    recall_recommended: bool


class CapaCreate(msgspec.Struct):
    kind: CapaKind
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=DESCRIPTION_MAX)]
    owner: Annotated[str, msgspec.Meta(min_length=1, max_length=OWNER_MAX)]
    due_on: date


class CapaComplete(msgspec.Struct):
    note: Annotated[str, msgspec.Meta(max_length=NOTE_MAX)] | None = None
    effectiveness_check_due_on: date | None = None


class InvestigationComplaintRead(msgspec.Struct):
    id: int
    reference: str
    status: str
    batch_id: int | None
    batch_no: str | None


class AffectedBatchRead(msgspec.Struct):
    id: int
    batch_no: str
    gtin: str
    product_name: str


class SharedLotRead(msgspec.Struct):
    material_lot_id: int
    lot_no: str
    material: str


class SuggestedBatchRead(msgspec.Struct):
    id: int
    batch_no: str
    gtin: str
    product_name: str
    shared_lots: list[SharedLotRead]


class CapaRead(msgspec.Struct):
    id: int
    investigation_id: int
    kind: str
    description: str
    owner: str
    due_on: date
    status: str
    overdue: bool
    completed_at: datetime | None
    completed_by: int | None
    completed_by_name: str | None
    completion_note: str | None
    effectiveness_check_due_on: date | None
    created_at: datetime
    version: int


class InvestigationSummaryRead(msgspec.Struct):
    id: int
    reference: str
    title: str
    status: str
    root_cause_category: str | None
    recall_recommended: bool | None
    created_at: datetime
    concluded_at: datetime | None
    version: int


class InvestigationRead(msgspec.Struct):
    id: int
    reference: str
    title: str
    status: str
    root_cause_category: str | None
    root_cause: str | None
    findings: str | None
    conclusion: str | None
    recall_recommended: bool | None
    concluded_at: datetime | None
    concluded_by: int | None
    concluded_by_name: str | None
    created_at: datetime
    created_by: int | None
    version: int
    complaints: list[InvestigationComplaintRead]
    affected_batches: list[AffectedBatchRead]
    suggested_batches: list[SuggestedBatchRead]
    capas: list[CapaRead]


def investigation_change(data: InvestigationUpdate) -> investigations.InvestigationChange:
    """The use case's change from the fields sent; those absent stay as they are."""
    sent = {name: getattr(data, name) for name in data.__struct_fields__}
    return investigations.InvestigationChange(
        **{name: value for name, value in sent.items() if value is not UNSET}
    )


class InvestigationController(Controller):
    path = "/api/investigations"
    tags = ["investigations"]

    @post("/", operation_id="OpenInvestigation", guards=[QA_ONLY], responses=WRITE_ERRORS)
    async def open_investigation(
        self, data: JSONBody[InvestigationCreate], request: Request[Actor, Any, Any]
    ) -> InvestigationRead:
        investigation = await investigations.open_investigation(
            request.user, data.title, list(data.complaint_ids)
        )
        return read_model(InvestigationRead, investigation)

    @get("/", operation_id="ListInvestigations", guards=[QUALITY_READ])
    async def list_investigations(
        self,
        status: Annotated[
            InvestigationStatus | None, Parameter(description="Only investigations in this status")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[InvestigationSummaryRead]:
        items, total = await investigations.list_investigations(
            status.value if status else None, limit, offset
        )
        return Page(items=[read_model(InvestigationSummaryRead, i) for i in items], total=total)

    @get(
        "/{investigation_id:int}",
        operation_id="GetInvestigation",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
    )
    async def get_investigation(
        self, investigation_id: Annotated[int, PathParameter(description="The investigation's id")]
    ) -> InvestigationRead:
        return read_model(
            InvestigationRead, await investigations.get_investigation(investigation_id)
        )

    @patch(
        "/{investigation_id:int}",
        operation_id="UpdateInvestigation",
        guards=[QA_ONLY],
        responses=WRITE_ERRORS,
    )
    async def update_investigation(
        self,
        investigation_id: FromPath[int],
        data: JSONBody[InvestigationUpdate],
        request: Request[Actor, Any, Any],
    ) -> InvestigationRead:
        change = investigation_change(data)
        investigation = await investigations.update_investigation(
            request.user, investigation_id, change
        )
        return read_model(InvestigationRead, investigation)

    @post(
        "/{investigation_id:int}/capas",
        operation_id="AddCapa",
        guards=[QA_ONLY],
        responses=WRITE_ERRORS,
    )
    async def add_capa(
        self,
        investigation_id: FromPath[int],
        data: JSONBody[CapaCreate],
        request: Request[Actor, Any, Any],
    ) -> CapaRead:
        plan = command(investigations.CapaPlan, data)
        capa = await investigations.add_capa(request.user, investigation_id, plan)
        return read_model(CapaRead, capa)

    @post(
        "/{investigation_id:int}/conclude",
        operation_id="ConcludeInvestigation",
        guards=[QA_ONLY],
        responses=WRITE_ERRORS,
        status_code=200,
    )
    async def conclude_investigation(
        self,
        investigation_id: FromPath[int],
        data: JSONBody[InvestigationConclude],
        request: Request[Actor, Any, Any],
    ) -> InvestigationRead:
        investigation = await investigations.conclude_investigation(
            request.user, investigation_id, data.conclusion, data.recall_recommended
        )
        return read_model(InvestigationRead, investigation)


class CapaController(Controller):
    path = "/api/capas"
    tags = ["investigations"]

    @get("/{capa_id:int}", operation_id="GetCapa", guards=[QUALITY_READ], responses=NOT_FOUND)
    async def get_capa(self, capa_id: FromPath[int]) -> CapaRead:
        return read_model(CapaRead, await investigations.get_capa(capa_id))

    @post(
        "/{capa_id:int}/complete",
        operation_id="CompleteCapa",
        guards=[QA_ONLY],
        responses=WRITE_ERRORS,
        status_code=200,
    )
    async def complete_capa(
        self,
        capa_id: FromPath[int],
        request: Request[Actor, Any, Any],
        data: JSONBody[CapaComplete | None] = None,
    ) -> CapaRead:
        body = data or CapaComplete()
        capa = await investigations.complete_capa(
            request.user, capa_id, body.note, body.effectiveness_check_due_on
        )
        return read_model(CapaRead, capa)

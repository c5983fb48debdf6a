"""Investigations over complaints, and their CAPA actions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, JSONBody, Parameter, PathParameter
from msgspec import UNSET, UnsetType

from recall import investigations
from recall.actors import Actor
from recall.investigations import (
    CONCLUSION_MAX,
    CONTAINMENT_ACTION_MAX,
    DESCRIPTION_MAX,
    EVIDENCE_MAX,
    FINDINGS_MAX,
    MAX_AFFECTED_BATCHES,
    MAX_COMPLAINTS,
    MAX_CONTAINMENT,
    MEANING_MAX,
    NOTE_MAX,
    OWNER_MAX,
    PASSWORD_MAX,
    ROOT_CAUSE_MAX,
    TITLE_MAX,
    CapaKind,
    InvestigationOrder,
    InvestigationStatus,
    RootCauseCategory,
)
from web.api.schemas import BAD_BODY, NO_SUCH_RECORD, Id, Limit, Offset, Page, command, errors
from web.security import QA_ONLY, QUALITY_READ

Version = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]

NOT_FOUND = NO_SUCH_RECORD
WRITE_ERRORS = {
    **BAD_BODY,
    **NO_SUCH_RECORD,
    **errors({409: "Not allowed in the record's current state"}),
}
SIGNED_WRITE_ERRORS = {
    **WRITE_ERRORS,
    **errors(
        {
            401: "Wrong password; nothing changed",
            429: "Signing locked after repeated wrong passwords",
        }
    ),
}


class InvestigationCreate(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_MAX)]
    complaint_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_COMPLAINTS)]


class RiskUpdate(msgspec.Struct):
    """ICH Q9 scores, each an integer 1-5 (checked by the domain, naming `risk.<factor>`)."""

    severity: int | None = None
    occurrence: int | None = None
    detectability: int | None = None


class ContainmentUpdate(msgspec.Struct):
    """An immediate containment action and the day it was done (not in the future)."""

    action: Annotated[str, msgspec.Meta(max_length=CONTAINMENT_ACTION_MAX)] | None = None
    done_on: date | None = None


class InvestigationUpdate(msgspec.Struct):
    """Only the fields present change; null clears a text field; `containment` replaces the
    whole list."""

    root_cause_category: RootCauseCategory | UnsetType | None = UNSET
    root_cause: Annotated[str, msgspec.Meta(max_length=ROOT_CAUSE_MAX)] | UnsetType | None = UNSET
    findings: Annotated[str, msgspec.Meta(max_length=FINDINGS_MAX)] | UnsetType | None = UNSET
    affected_batch_ids: (
        Annotated[list[Id], msgspec.Meta(max_length=MAX_AFFECTED_BATCHES)] | UnsetType
    ) = UNSET
    risk: RiskUpdate | UnsetType = UNSET
    containment: (
        Annotated[list[ContainmentUpdate], msgspec.Meta(max_length=MAX_CONTAINMENT)] | UnsetType
    ) = UNSET
    version: Version | None = None  # the version the client read; a stale one is refused (409)


class InvestigationConclude(msgspec.Struct):
    """The conclusion, signed: the signer's password is re-checked (401 when wrong)."""

    conclusion: Annotated[str, msgspec.Meta(min_length=1, max_length=CONCLUSION_MAX)]
    recall_recommended: bool
    password: Annotated[str, msgspec.Meta(max_length=PASSWORD_MAX)] | None = None
    meaning: Annotated[str, msgspec.Meta(max_length=MEANING_MAX)] | None = None


class CapaEffectivenessCreate(msgspec.Struct):
    """Whether a done CAPA worked; an ineffective one is open again."""

    effective: bool
    evidence: Annotated[str, msgspec.Meta(max_length=EVIDENCE_MAX)] | None = None


class CapaCreate(msgspec.Struct):
    kind: CapaKind
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=DESCRIPTION_MAX)]
    owner: Annotated[str, msgspec.Meta(min_length=1, max_length=OWNER_MAX)]
    due_on: date


class CapaComplete(msgspec.Struct):
    note: Annotated[str, msgspec.Meta(max_length=NOTE_MAX)] | None = None
    effectiveness_check_due_on: date | None = None


def investigation_change(data: InvestigationUpdate) -> investigations.InvestigationChange:
    """The use case's change from the fields sent; those absent stay as they are."""
    sent = {name: getattr(data, name) for name in data.__struct_fields__}
    if isinstance(data.risk, RiskUpdate):
        sent["risk"] = command(investigations.RiskScore, data.risk)
    if isinstance(data.containment, list):
        sent["containment"] = [
            investigations.ContainmentAction(item.action or "", item.done_on)
            for item in data.containment
        ]
    return investigations.InvestigationChange(
        **{name: value for name, value in sent.items() if value is not UNSET}
    )


class InvestigationController(Controller):
    path = "/api/investigations"
    tags = ["investigations"]

    @post("/", operation_id="OpenInvestigation", guards=[QA_ONLY], responses=WRITE_ERRORS)
    async def open_investigation(
        self, data: JSONBody[InvestigationCreate], request: Request[Actor, Any, Any]
    ) -> investigations.Investigation:
        return await investigations.open_investigation(
            request.user, data.title, list(data.complaint_ids)
        )

    @get("/", operation_id="ListInvestigations", guards=[QUALITY_READ])
    async def list_investigations(
        self,
        status: Annotated[
            InvestigationStatus | None, Parameter(description="Only investigations in this status")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        sort: Annotated[
            InvestigationOrder,
            Parameter(
                description="Newest first (-created), or by risk priority: priority (lowest "
                "first) or -priority (highest first); unscored investigations come last"
            ),
        ] = InvestigationOrder.NEWEST,
    ) -> Page[investigations.InvestigationSummary]:
        items, total = await investigations.list_investigations(
            status.value if status else None, limit, offset, sort.value
        )
        return Page(items=items, total=total)

    @get(
        "/{investigation_id:int}",
        operation_id="GetInvestigation",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
    )
    async def get_investigation(
        self, investigation_id: Annotated[int, PathParameter(description="The investigation's id")]
    ) -> investigations.Investigation:
        return await investigations.get_investigation(investigation_id)

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
    ) -> investigations.Investigation:
        change = investigation_change(data)
        return await investigations.update_investigation(request.user, investigation_id, change)

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
    ) -> investigations.Capa:
        plan = command(investigations.CapaPlan, data)
        return await investigations.add_capa(request.user, investigation_id, plan)

    @post(
        "/{investigation_id:int}/conclude",
        operation_id="ConcludeInvestigation",
        guards=[QA_ONLY],
        responses=SIGNED_WRITE_ERRORS,
        status_code=200,
        description=(
            "Conclude with an electronic signature (password re-checked, as at recall approval)."
        ),
    )
    async def conclude_investigation(
        self,
        investigation_id: FromPath[int],
        data: JSONBody[InvestigationConclude],
        request: Request[Actor, Any, Any],
    ) -> investigations.Investigation:
        return await investigations.conclude_investigation(
            request.user,
            investigation_id,
            data.conclusion,
            data.recall_recommended,
            data.password,
            data.meaning,
        )


class CapaController(Controller):
    path = "/api/capas"
    tags = ["investigations"]

    @get("/{capa_id:int}", operation_id="GetCapa", guards=[QUALITY_READ], responses=NOT_FOUND)
    async def get_capa(self, capa_id: FromPath[int]) -> investigations.Capa:
        return await investigations.get_capa(capa_id)

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
    ) -> investigations.Capa:
        body = data or CapaComplete()
        return await investigations.complete_capa(
            request.user, capa_id, body.note, body.effectiveness_check_due_on
        )

    @post(
        "/{capa_id:int}/effectiveness",
        operation_id="RecordCapaEffectiveness",
        guards=[QA_ONLY],
        responses=WRITE_ERRORS,
        status_code=200,
        description=(
            "Record whether a done CAPA worked, with its evidence (409 unless done). An "
            "ineffective CAPA is open again and QA is alerted."
        ),
    )
    async def record_effectiveness(
        self,
        capa_id: FromPath[int],
        data: JSONBody[CapaEffectivenessCreate],
        request: Request[Actor, Any, Any],
    ) -> investigations.Capa:
        return await investigations.record_effectiveness(
            request.user, capa_id, data.effective, data.evidence or ""
        )

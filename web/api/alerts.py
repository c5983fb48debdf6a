"""Alerts for QA: failed deliveries, unreachable consignees, passed deadlines, failed checks."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.openapi import ResponseSpec
from litestar.params import PathParameter, QueryParameter

from recall import alerts
from recall.actors import Actor, Role
from recall.alerts import AlertKind
from web.api.schemas import ErrorRead, Limit, Offset, Page
from web.security import QUALITY_READ, requires

AlertId = Annotated[int, PathParameter(description="The alert's id")]
NOT_FOUND = {404: ResponseSpec(ErrorRead, description="No such alert")}
QUALITY_ACT = requires(Role.QA, Role.QA_MANAGER)


class AlertController(Controller):
    path = "/api/alerts"
    tags = ["alerts"]
    guards = [QUALITY_READ]

    @get("/", operation_id="ListAlerts", description="Alerts for QA, newest first.")
    async def list_alerts(
        self,
        recall_id: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)] = None,
        kind: Annotated[
            AlertKind | None, QueryParameter(description="Only alerts of this kind")
        ] = None,
        open_only: Annotated[
            bool, QueryParameter(name="open", description="Only alerts nobody acknowledged yet")
        ] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[alerts.Alert]:
        items, total = await alerts.list_alerts(
            recall_id=recall_id,
            kind=kind.value if kind else None,
            open_only=open_only,
            limit=limit,
            offset=offset,
        )
        return Page(items, total)

    @get("/{alert_id:int}", operation_id="GetAlert", responses=NOT_FOUND)
    async def get_alert(self, alert_id: AlertId) -> alerts.Alert:
        return await alerts.get_alert(alert_id)

    @post(
        "/{alert_id:int}/acknowledge",
        operation_id="AcknowledgeAlert",
        guards=[QUALITY_ACT],
        status_code=200,
        description="QA has taken the alert on; acknowledging twice changes nothing.",
        responses=NOT_FOUND,
    )
    async def acknowledge(
        self, alert_id: AlertId, request: Request[Actor, Any, Any]
    ) -> alerts.Alert:
        return await alerts.acknowledge_alert(request.user, alert_id)

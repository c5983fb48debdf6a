"""The home page: who is signed in, and the work waiting for each of their roles."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from recall import alerts, complaints, investigations, notices, recalls
from recall.actors import Actor, Role
from recall.settings import get_settings
from web.pages.labels import ROLE_NAMES
from web.pages.render import local_time, page
from web.pages.session import signed_in

NOTICES_SHOWN = 50
WORK_SHOWN = 5


async def _work(actor: Actor) -> dict[str, Any]:
    """What waits for this person: each list with its total, newest first."""
    work: dict[str, Any] = {}
    if actor.has(Role.QA):
        work["to_triage"] = await complaints.list_complaints(status="received", limit=WORK_SHOWN)
        work["investigations"] = await investigations.list_investigations(
            status="open", limit=WORK_SHOWN
        )
    elif actor.has(Role.CS):
        work["logged"] = await complaints.list_complaints(limit=WORK_SHOWN)
    if actor.has(Role.QA_MANAGER):
        work["to_sign"] = await recalls.list_recalls(status="proposed", limit=WORK_SHOWN)
    if actor.has(Role.QA, Role.QA_MANAGER, Role.INSPECTOR, Role.ADMIN):
        work["in_progress"] = await recalls.list_recalls(status="in_progress", limit=WORK_SHOWN)
    if actor.has(Role.QA, Role.QA_MANAGER):
        work["alerts"] = await alerts.list_alerts(open_only=True, limit=WORK_SHOWN)
    return work


@get("/", guards=[signed_in], include_in_schema=False)
async def home(request: Request[Actor, Any, Any]) -> Template:
    actor = request.user
    zone = get_settings().time_zone
    own_notices: list[dict[str, Any]] = []
    total = 0
    if actor.has(Role.DISTRIBUTOR) and actor.consignee_id is not None:
        shown, total = await notices.list_own_notices(actor, limit=NOTICES_SHOWN)
        own_notices = [
            {"notice": notice, "respond_by": local_time(notice.respond_by, zone)}
            for notice in shown
        ]
    roles = [ROLE_NAMES[role] for role in sorted(actor.roles)]
    return page(
        request,
        "home.html",
        {
            "roles": roles,
            "notices": own_notices,
            "notices_total": total,
            "work": await _work(actor),
            "when": lambda moment: local_time(moment, zone),
        },
    )

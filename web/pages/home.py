"""The home page: who is signed in, and where they can go from here."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from recall import notices
from recall.auth import Actor, Role
from recall.settings import get_settings
from web.pages.render import N_, local_time, page
from web.pages.session import signed_in

ROLE_NAMES = {
    Role.CS: N_("Customer service"),
    Role.QA: N_("Quality assurance"),
    Role.QA_MANAGER: N_("QA manager"),
    Role.DISTRIBUTOR: N_("Distributor"),
    Role.INSPECTOR: N_("Inspector"),
    Role.ADMIN: N_("Administrator"),
}
NOTICES_SHOWN = 50


@get("/", guards=[signed_in], include_in_schema=False)
async def home(request: Request[Actor, Any, Any]) -> Template:
    actor = request.user
    own_notices: list[dict[str, Any]] = []
    total = 0
    if actor.has(Role.DISTRIBUTOR) and actor.consignee_id is not None:
        shown, total = await notices.list_own_notices(actor, limit=NOTICES_SHOWN)
        zone = get_settings().time_zone
        own_notices = [
            {"notice": notice, "respond_by": local_time(notice.respond_by, zone)}
            for notice in shown
        ]
    roles = [ROLE_NAMES[role] for role in sorted(actor.roles)]
    return page(
        request,
        "home.html",
        {"roles": roles, "notices": own_notices, "notices_total": total},
    )

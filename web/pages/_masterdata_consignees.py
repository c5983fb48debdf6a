"""Master data pages: consignees — the list and its download, adding one (its signing secret
shown once), one consignee."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from recall import masterdata
from recall.actors import Actor
from recall.masterdata import ConsigneeKind
from web.api.masterdata import ConsigneeCreate, add_consignee
from web.pages._masterdata_lists import (
    GUARDS,
    Id,
    Kind,
    Offset,
    Search,
    every_row,
    search_text,
    searched_page,
)
from web.pages.export import FormatParameter, download
from web.pages.forms import FormState, form_action, read
from web.pages.labels import CONSIGNEE_KIND_NAMES, translated
from web.pages.render import N_, gettext_for, page

CONSIGNEE_HEADERS = [
    N_("Code"),
    N_("Name"),
    N_("Kind"),
    N_("Supplied by"),
    N_("Province"),
    N_("E-mail"),
    N_("Phone"),
    N_("After-hours phone"),
    N_("Webhook URL"),
]


def _kinds(request: Request[Any, Any, Any]) -> dict[str, str]:
    return translated(gettext_for(request), CONSIGNEE_KIND_NAMES)


async def _consignees_page(
    request: Request[Actor, Any, Any],
    q: str | None = None,
    kind: ConsigneeKind | None = None,
    offset: int = 0,
    form: FormState | None = None,
    **shown: Any,
) -> Template:
    kind_value = kind.value if kind else ""
    return await searched_page(
        request,
        "consignees.html",
        partial(masterdata.list_consignees, kind_value or None),
        q,
        offset,
        form,
        query={"kind": kind_value},
        kind=kind_value,
        kind_names=_kinds(request),
        **shown,
    )


@get("/masterdata/consignees", guards=GUARDS, include_in_schema=False)
async def consignee_list(
    request: Request[Actor, Any, Any], q: Search = None, kind: Kind = None, offset: Offset = 0
) -> Template:
    return await _consignees_page(request, q, kind, offset)


@post("/masterdata/consignees", guards=GUARDS, include_in_schema=False)
async def create_consignee(request: Request[Actor, Any, Any]) -> Response[Any]:
    form = await request.form()

    async def create() -> tuple[masterdata.Consignee, str]:
        return await add_consignee(request.user, read(form, ConsigneeCreate))

    def created(result: tuple[masterdata.Consignee, str]) -> Template:
        # The signing secret is shown on this answer only (as the API does): no redirect, no copy.
        consignee, secret = result
        return page(
            request,
            "masterdata/consignee_created.html",
            {"consignee": consignee, "secret": secret, "kind_names": _kinds(request)},
            status_code=201,
        )

    return await form_action(
        form,
        create,
        created,
        lambda state, **shown: _consignees_page(request, None, None, 0, state, **shown),
    )


@get("/masterdata/consignees/export", guards=GUARDS, include_in_schema=False)
async def export_consignees(
    request: Request[Actor, Any, Any], format: FormatParameter, q: Search = None, kind: Kind = None
) -> Response[bytes]:
    """The consignees the list shows for the same search and kind, all pages."""
    _ = gettext_for(request)
    q = search_text(q)
    kinds = _kinds(request)
    consignees = await every_row(
        lambda limit, offset: masterdata.list_consignees(
            kind.value if kind else None, limit, offset, q=q
        )
    )
    rows = (
        [
            c.code,
            c.name,
            kinds.get(c.kind, c.kind),
            c.parent_code,
            c.province,
            c.email,
            c.phone,
            c.after_hours_phone,
            c.webhook_url,
        ]
        for c in consignees
    )
    return download("consignees", format, [_(h) for h in CONSIGNEE_HEADERS], rows)


@get("/masterdata/consignees/{consignee_id:int}", guards=GUARDS, include_in_schema=False)
async def consignee_detail(request: Request[Actor, Any, Any], consignee_id: Id) -> Template:
    consignee = await masterdata.get_consignee(consignee_id)
    parent = (
        await masterdata.consignee_by_code(consignee.parent_code) if consignee.parent_code else None
    )
    _received, received = await masterdata.list_shipments(None, consignee.code, 0)
    return page(
        request,
        "masterdata/consignee.html",
        {
            "consignee": consignee,
            "parent": parent,
            "shipments_total": received,
            "kind_names": _kinds(request),
        },
    )


ROUTES: list[Any] = [consignee_list, create_consignee, export_consignees, consignee_detail]

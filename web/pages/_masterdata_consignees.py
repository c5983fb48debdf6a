"""Master data pages: consignees — the list and its download, adding one (its signing secret
shown once), one consignee."""

from __future__ import annotations

import unicodedata
from functools import cache, partial
from typing import Any

from babel import Locale
from litestar import Request, Response, get, post
from litestar.response import Template

from recall import masterdata, regulatory
from recall.actors import Actor
from recall.masterdata import ConsigneeKind
from recall.settings import get_settings
from web.api.masterdata import ConsigneeCreate, add_consignee
from web.i18n import language_of
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
from web.pages.labels import CONSIGNEE_KIND_NAMES, PLACE_NAMES, translated
from web.pages.render import N_, gettext_for, page

CONSIGNEE_HEADERS = [
    N_("Code"),
    N_("Name"),
    N_("Kind"),
    N_("Supplied by"),
    PLACE_NAMES["country"],
    PLACE_NAMES["province"],
    N_("E-mail"),
    N_("Phone"),
    N_("After-hours phone"),
    N_("Webhook URL"),
]


def _kinds(request: Request[Any, Any, Any]) -> dict[str, str]:
    return translated(gettext_for(request), CONSIGNEE_KIND_NAMES)


@cache
def country_options(language: str) -> list[tuple[str, str]]:
    """Every ISO 3166 country as (code, name in `language`), by name."""
    codes = [
        code
        for code in Locale("en").territories
        if isinstance(code, str) and regulatory.country_code(code) == code
    ]
    named = [(code, regulatory.country_name(code, language)) for code in codes]
    return sorted(named, key=lambda option: unicodedata.normalize("NFKD", option[1]).casefold())


def _places(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """What the consignee templates need to show and choose countries and provinces."""
    language = language_of(request)
    return {
        "country_name": partial(regulatory.country_name, language=language),
        "countries": country_options(language),
        "plant_country": get_settings().plant_country,
        "provinces": regulatory.PROVINCES,
    }


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
        **_places(request),
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
            {
                "consignee": consignee,
                "secret": secret,
                "kind_names": _kinds(request),
                **_places(request),
            },
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
            c.country,
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
            **_places(request),
        },
    )


ROUTES: list[Any] = [consignee_list, create_consignee, export_consignees, consignee_detail]

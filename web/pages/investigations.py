"""Pages: QA investigations over complaints — root cause, affected batches, CAPA, conclusion."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath, Parameter
from litestar.response import Template

from recall import investigations, masterdata
from recall.actors import Actor, Role
from recall.errors import InvalidInput
from recall.investigations import (
    InvestigationOrder,
    InvestigationStatus,
    complaints_to_investigate,
    tallies,
)
from recall.settings import get_settings
from web.api.investigations import (
    CapaCreate,
    InvestigationCreate,
    InvestigationUpdate,
    investigation_change,
)
from web.api.schemas import command
from web.pages._investigation_forms import (
    assess_risk,
    check_effectiveness,
    complete_capa,
    conclude,
    record_containment,
)
from web.pages._investigation_page import TEXT_FIELDS, forms_page, investigation_page
from web.pages.forms import FormState, form_action, read
from web.pages.labels import (
    INVESTIGATION_STATUS_NAMES,
    RISK_LEVEL_NAMES,
    translated,
)
from web.pages.render import gettext_for, local_time, page, see_other
from web.pages.session import signed_in
from web.security import QA_ONLY, QUALITY_READ

PAGE_SIZE = 50

# The list ------------------------------------------------------------------------------


@get("/investigations", guards=[signed_in, QUALITY_READ], include_in_schema=False)
async def investigation_list(
    request: Request[Actor, Any, Any],
    status: Annotated[str | None, Parameter(required=False, max_length=20)] = None,
    offset: Annotated[str | None, Parameter(required=False, max_length=10)] = None,
    sort: Annotated[str | None, Parameter(required=False, max_length=20)] = None,
) -> Template:
    # A filter or sort link edited by hand shows the default rather than an error.
    wanted = status if status in set(InvestigationStatus) else None
    order = InvestigationOrder(sort) if sort in set(InvestigationOrder) else None
    start = min(positive_id(offset) or 0, 2**31 - 1)
    items, total = await investigations.list_investigations(
        wanted, PAGE_SIZE, start, (order or InvestigationOrder.NEWEST).value
    )
    counts = await tallies([item.id for item in items])
    zone = get_settings().time_zone
    rows = [
        {"item": item, "tally": counts[item.id], "opened": local_time(item.created_at, zone)}
        for item in items
    ]
    return page(
        request,
        "investigations/list.html",
        {
            "rows": rows,
            "total": total,
            "status": wanted or "",
            "sort": order.value if order else "",
            "offset": start,
            "page_size": PAGE_SIZE,
            "status_names": translated(gettext_for(request), INVESTIGATION_STATUS_NAMES),
            "risk_level_names": translated(gettext_for(request), RISK_LEVEL_NAMES),
            "can_open": request.user.has(Role.QA),
        },
    )


# Opening one ---------------------------------------------------------------------------


async def _new_form(
    request: Request[Actor, Any, Any],
    form: FormState,
    ticked: set[int],
    *,
    status_code: int = 200,
    conflict: str | None = None,
) -> Template:
    zone = get_settings().time_zone
    candidates = [
        {"complaint": complaint, "received": local_time(complaint.received_at, zone)}
        for complaint in await complaints_to_investigate()
    ]
    return page(
        request,
        "investigations/new.html",
        {"form": form, "candidates": candidates, "ticked": ticked, "conflict": conflict},
        status_code=status_code,
    )


@get("/investigations/new", guards=[signed_in, QA_ONLY], include_in_schema=False)
async def new_investigation(
    request: Request[Actor, Any, Any],
    complaint_id: Annotated[str | None, Parameter(required=False, max_length=10)] = None,
) -> Template:
    chosen = positive_id(complaint_id)
    return await _new_form(request, FormState(), {chosen} if chosen else set())


def positive_id(text: str | None) -> int | None:
    """A record id typed in a link or a form, or None when it is not one."""
    value = (text or "").strip()
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 2**31 else None


def ticked_ids(form: FormMultiDict, name: str) -> set[int]:
    """The ticked ids of a checkbox list (anything not an id is ignored here)."""
    return {i for i in (positive_id(str(value)) for value in form.getall(name, [])) if i}


@post("/investigations", guards=[signed_in, QA_ONLY], include_in_schema=False)
async def open_investigation(request: Request[Actor, Any, Any]) -> Response[Any]:
    form = await request.form()
    ticked = ticked_ids(form, "complaint_ids[]")

    async def open_one() -> investigations.Investigation:
        data = read(form, InvestigationCreate)
        return await investigations.open_investigation(
            request.user, data.title, list(data.complaint_ids)
        )

    return await form_action(
        form,
        open_one,
        lambda opened: see_other(f"/investigations/{opened.id}"),
        lambda state, **shown: _new_form(request, state, ticked, **shown),
    )


@get(
    "/investigations/{investigation_id:int}",
    guards=[signed_in, QUALITY_READ],
    include_in_schema=False,
)
async def investigation_detail(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Template:
    return await investigation_page(request, investigation_id)


@post(
    "/investigations/{investigation_id:int}/findings",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def record_findings(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Response[Any]:
    form = await request.form()
    # A field sent empty clears it; the API leaves absent fields unchanged.
    cleared = {name: None for name in TEXT_FIELDS if not str(form.get(name, "")).strip()}

    async def record() -> None:
        data = read(form, InvestigationUpdate, **cleared)
        change = investigation_change(data)
        await investigations.update_investigation(request.user, investigation_id, change)

    return await forms_page(request, investigation_id).answer(form, record, "findings", "findings")


async def _set_batches(
    request: Request[Actor, Any, Any], investigation_id: int, batch_ids: set[int]
) -> None:
    change = investigations.InvestigationChange(affected_batch_ids=sorted(batch_ids))
    await investigations.update_investigation(request.user, investigation_id, change)


@post(
    "/investigations/{investigation_id:int}/batches",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def add_batches(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Response[Any]:
    """Add the ticked suggested batches, or one batch named by GTIN and batch number."""
    form = await request.form()
    investigation = await investigations.get_investigation(investigation_id)
    wanted = {batch.id for batch in investigation.affected_batches}

    async def add() -> None:
        added = ticked_ids(form, "batch_ids[]")
        gtin, batch_no = str(form.get("gtin", "")).strip(), str(form.get("batch_no", "")).strip()
        if gtin or batch_no:
            added.add(await _named_batch(gtin, batch_no))
        if not added:
            raise InvalidInput("batch_ids", "tick at least one batch")
        await _set_batches(request, investigation_id, wanted | added)

    name = "suggested" if "batch_ids[]" in form else "batch"
    return await forms_page(request, investigation_id).answer(form, add, name, "batches")


async def _named_batch(gtin: str, batch_no: str) -> int:
    if not gtin:
        raise InvalidInput("gtin", "required")
    if not batch_no:
        raise InvalidInput("batch_no", "required")
    batch = await masterdata.find_batch(gtin, batch_no)
    if batch is None:
        raise InvalidInput("batch_no", f"no batch {batch_no} of the product with GTIN {gtin}")
    return batch.id


@post(
    "/investigations/{investigation_id:int}/batches/remove",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def remove_batch(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Response[Any]:
    form = await request.form()
    investigation = await investigations.get_investigation(investigation_id)
    kept = {batch.id for batch in investigation.affected_batches} - ticked_ids(form, "batch_id")

    async def remove() -> None:
        await _set_batches(request, investigation_id, kept)

    return await forms_page(request, investigation_id).answer(form, remove, "batch", "batches")


@post(
    "/investigations/{investigation_id:int}/capas",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def add_capa(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Response[Any]:
    form = await request.form()

    async def add() -> None:
        data = read(form, CapaCreate)
        plan = command(investigations.CapaPlan, data)
        await investigations.add_capa(request.user, investigation_id, plan)

    return await forms_page(request, investigation_id).answer(form, add, "capa", "capa")


ROUTES: list[Any] = [
    investigation_list,
    new_investigation,
    open_investigation,
    investigation_detail,
    record_findings,
    add_batches,
    remove_batch,
    add_capa,
    complete_capa,
    check_effectiveness,
    assess_risk,
    record_containment,
    conclude,
]

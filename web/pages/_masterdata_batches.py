"""Master data pages: batches — the list and its download, a batch with the material lots in it."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from recall import masterdata
from recall.actors import Actor, Role
from recall.settings import get_settings
from web.api.masterdata import BatchCreate, BatchMaterialCreate, BatchStatusChange, add_batch
from web.pages._masterdata_lists import (
    CHOICES_MAX,
    GUARDS,
    Id,
    Offset,
    Search,
    every_row,
    search_text,
    searched_page,
)
from web.pages.export import FormatParameter, download
from web.pages.forms import FormState, form_action, in_words, read
from web.pages.render import N_, gettext_for, local_time, page, see_other
from web.pages.session import signed_in
from web.security import QA_STAFF

BATCH_HEADERS = [
    N_("Batch"),
    N_("Product"),
    N_("GTIN"),
    N_("Manufactured on"),
    N_("Expires on"),
    N_("Quantity produced"),
    N_("Status"),
]
STATUS_CHANGED = N_("The batch's status changed meanwhile: look at it again before you decide.")
# The status as the pages name it.
STATUS_NAMES = {
    masterdata.BatchStatus.RELEASED: N_("Released"),
    masterdata.BatchStatus.ON_HOLD: N_("On hold"),
    masterdata.BatchStatus.RECALLED: N_("Recalled"),
}


async def _batches_page(
    request: Request[Actor, Any, Any],
    q: str | None = None,
    offset: int = 0,
    form: FormState | None = None,
    **shown: Any,
) -> Template:
    products, _count = await masterdata.list_products(CHOICES_MAX)
    every_product = partial(masterdata.list_batches, None)
    return await searched_page(
        request, "batches.html", every_product, q, offset, form, products=products, **shown
    )


@get("/masterdata/batches", guards=GUARDS, include_in_schema=False)
async def batch_list(
    request: Request[Actor, Any, Any], q: Search = None, offset: Offset = 0
) -> Template:
    return await _batches_page(request, q, offset)


@post("/masterdata/batches", guards=GUARDS, include_in_schema=False)
async def create_batch(request: Request[Actor, Any, Any]) -> Response[Any]:
    form = await request.form()

    async def create() -> masterdata.Batch:
        return await add_batch(request.user, read(form, BatchCreate))

    return await form_action(
        form,
        create,
        lambda batch: see_other(f"/masterdata/batches/{batch.id}?saved=1"),
        lambda state, **shown: _batches_page(request, None, 0, state, **shown),
    )


@get("/masterdata/batches/export", guards=GUARDS, include_in_schema=False)
async def export_batches(
    request: Request[Actor, Any, Any], format: FormatParameter, q: Search = None
) -> Response[bytes]:
    """The batches the list shows for the same search, all pages."""
    _ = gettext_for(request)
    q = search_text(q)
    batches = await every_row(
        lambda limit, offset: masterdata.list_batches(None, limit, offset, q=q)
    )
    rows = (
        [b.batch_no, b.product_name, b.gtin, b.manufactured_on, b.expires_on, b.quantity_produced,
         _(STATUS_NAMES[masterdata.BatchStatus(b.status)])]
        for b in batches
    )  # fmt: skip
    return download("batches", format, [_(h) for h in BATCH_HEADERS], rows)


async def _batch_page(
    request: Request[Actor, Any, Any],
    batch_id: int,
    form: FormState | None = None,
    *,
    status_code: int = 200,
    conflict: str | None = None,
    saved: str | None = None,
    status_form: FormState | None = None,
    status_conflict: str | None = None,
) -> Template:
    batch = await masterdata.get_batch(batch_id)
    materials = await masterdata.list_batch_materials(batch.id)
    shipments, shipped = await masterdata.list_shipments(batch.id, None, 10)
    lots, _count = await masterdata.list_material_lots(CHOICES_MAX)
    return page(
        request,
        "masterdata/batch.html",
        {
            "batch": batch,
            "materials": materials,
            "shipments": shipments,
            "shipments_total": shipped,
            "lot_options": [
                (lot.id, f"{lot.lot_no} — {lot.material} ({lot.supplier})") for lot in lots
            ],
            "form": form or FormState(),
            "conflict": conflict,
            "saved": saved,
            "status_form": status_form or FormState(),
            "status_conflict": status_conflict,
            "may_hold": request.user.has(Role.QA),
            "held_since": local_time(batch.held_at, get_settings().time_zone),
        },
        status_code=status_code,
    )


@get("/masterdata/batches/{batch_id:int}", guards=GUARDS, include_in_schema=False)
async def batch_detail(
    request: Request[Actor, Any, Any], batch_id: Id, saved: Search = None
) -> Template:
    return await _batch_page(request, batch_id, saved=saved)


@post("/masterdata/batches/{batch_id:int}/materials", guards=GUARDS, include_in_schema=False)
async def add_batch_material(request: Request[Actor, Any, Any], batch_id: Id) -> Response[Any]:
    form = await request.form()

    async def add() -> None:
        data = read(form, BatchMaterialCreate)
        await masterdata.add_batch_material(
            request.user, batch_id, data.material_lot_id, data.quantity
        )

    return await form_action(
        form,
        add,
        lambda _added: see_other(f"/masterdata/batches/{batch_id}?saved=material#materials"),
        lambda state, **shown: _batch_page(request, batch_id, state, **shown),
    )


async def _change_status(
    request: Request[Actor, Any, Any], batch_id: int, hold: bool
) -> Response[Any]:
    form = await request.form()

    async def change() -> masterdata.Batch:
        reason = read(form, BatchStatusChange).reason
        if hold:
            return await masterdata.hold_batch(request.user, batch_id, reason)
        return await masterdata.release_batch(request.user, batch_id, reason)

    async def again(state: FormState, *, status_code: int, conflict: str | None = None) -> Template:
        # The form offered fits the status shown: a conflict means it changed meanwhile.
        changed = gettext_for(request)(STATUS_CHANGED) if conflict else None
        return await _batch_page(
            request, batch_id, status_code=status_code, status_form=state,
            status_conflict=changed,
        )  # fmt: skip

    saved = "held" if hold else "released"
    return await form_action(
        form,
        change,
        lambda _b: see_other(f"/masterdata/batches/{batch_id}?saved={saved}"),
        again,
        shown=partial(in_words, request),
    )


STATUS_GUARDS = [signed_in, QA_STAFF]


@post("/masterdata/batches/{batch_id:int}/hold", guards=STATUS_GUARDS, include_in_schema=False)
async def hold_batch(request: Request[Actor, Any, Any], batch_id: Id) -> Response[Any]:
    return await _change_status(request, batch_id, hold=True)


@post("/masterdata/batches/{batch_id:int}/release", guards=STATUS_GUARDS, include_in_schema=False)
async def release_batch(request: Request[Actor, Any, Any], batch_id: Id) -> Response[Any]:
    return await _change_status(request, batch_id, hold=False)


ROUTES: list[Any] = [
    batch_list,
    create_batch,
    export_batches,
    batch_detail,
    add_batch_material,
    hold_batch,
    release_batch,
]

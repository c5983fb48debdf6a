"""Pages: master data for QA and administrators — products, batches, material lots, consignees.

Each list is paged and searchable and carries the form that adds a record through the same
use case and request struct as the JSON API. Batches are on the pages of _masterdata_batches,
consignees on those of _masterdata_consignees; shipment files are imported on the pages of
`web.pages.masterdata_imports`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.response import Template

from recall import masterdata
from recall.actors import Actor
from web.api.masterdata import MaterialLotCreate, ProductCreate
from web.pages import _masterdata_batches, _masterdata_consignees, masterdata_imports
from web.pages._masterdata_lists import GUARDS, Id, Offset, Search, searched_page
from web.pages.forms import FormState, form_action, read
from web.pages.render import page, see_other

# Overview ------------------------------------------------------------------------------


@get("/masterdata", guards=GUARDS, include_in_schema=False)
async def overview(request: Request[Actor, Any, Any]) -> Template:
    _products, products = await masterdata.list_products(0)
    _batches, batches = await masterdata.list_batches(None, 0)
    _lots, lots = await masterdata.list_material_lots(0)
    _consignees, consignees = await masterdata.list_consignees(None, 0)
    _shipments, shipments = await masterdata.list_shipments(None, None, 0)
    imports, _total = await masterdata.list_shipment_imports(5)
    return page(
        request,
        "masterdata/overview.html",
        {
            "counts": {
                "products": products,
                "batches": batches,
                "lots": lots,
                "consignees": consignees,
                "shipments": shipments,
            },
            **masterdata_imports.import_rows(request, imports),
        },
    )


# Products ------------------------------------------------------------------------------


async def _products_page(
    request: Request[Actor, Any, Any],
    q: str | None = None,
    offset: int = 0,
    form: FormState | None = None,
    *,
    saved: str | None = None,
    **shown: Any,
) -> Template:
    return await searched_page(
        request, "products.html", masterdata.list_products, q, offset, form, saved=saved, **shown
    )


@get("/masterdata/products", guards=GUARDS, include_in_schema=False)
async def product_list(
    request: Request[Actor, Any, Any], q: Search = None, offset: Offset = 0, saved: Search = None
) -> Template:
    return await _products_page(request, q, offset, saved=saved)


@post("/masterdata/products", guards=GUARDS, include_in_schema=False)
async def create_product(request: Request[Actor, Any, Any]) -> Response[Any]:
    form = await request.form()

    async def create() -> masterdata.Product:
        data = read(form, ProductCreate)
        return await masterdata.create_product(
            request.user, data.gtin, data.nie, data.name, data.strength, data.dosage_form
        )

    return await form_action(
        form,
        create,
        lambda product: see_other(
            f"/masterdata/products?{urlencode({'q': product.gtin, 'saved': product.gtin})}"
        ),
        lambda state, **shown: _products_page(request, None, 0, state, **shown),
    )


# Material lots -------------------------------------------------------------------------


async def _lots_page(
    request: Request[Actor, Any, Any],
    q: str | None = None,
    offset: int = 0,
    form: FormState | None = None,
    **shown: Any,
) -> Template:
    return await searched_page(
        request, "material_lots.html", masterdata.list_material_lots, q, offset, form, **shown
    )


@get("/masterdata/material-lots", guards=GUARDS, include_in_schema=False)
async def material_lot_list(
    request: Request[Actor, Any, Any], q: Search = None, offset: Offset = 0
) -> Template:
    return await _lots_page(request, q, offset)


@post("/masterdata/material-lots", guards=GUARDS, include_in_schema=False)
async def create_material_lot(request: Request[Actor, Any, Any]) -> Response[Any]:
    form = await request.form()

    async def create() -> masterdata.MaterialLot:
        data = read(form, MaterialLotCreate)
        return await masterdata.create_material_lot(
            request.user, data.material, data.lot_no, data.supplier
        )

    return await form_action(
        form,
        create,
        lambda lot: see_other(f"/masterdata/material-lots/{lot.id}?saved=1"),
        lambda state, **shown: _lots_page(request, None, 0, state, **shown),
    )


@get("/masterdata/material-lots/{lot_id:int}", guards=GUARDS, include_in_schema=False)
async def material_lot_detail(
    request: Request[Actor, Any, Any], lot_id: Id, saved: Search = None
) -> Template:
    lot = await masterdata.get_material_lot(lot_id)
    trace = await masterdata.trace_material_lot(lot.id)
    return page(
        request,
        "masterdata/material_lot.html",
        {"lot": lot, "batches": trace.batches, "saved": saved},
    )


ROUTES: list[Any] = [
    overview,
    product_list,
    create_product,
    *_masterdata_batches.ROUTES,
    material_lot_list,
    create_material_lot,
    material_lot_detail,
    *_masterdata_consignees.ROUTES,
    *masterdata_imports.ROUTES,
]

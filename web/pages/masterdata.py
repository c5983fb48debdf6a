"""Pages: master data for QA and administrators — products, batches, material lots, consignees.

Each list is paged and searchable and carries the form that adds a record through the same
use case and request struct as the JSON API. Shipment files are imported on the pages of
`web.pages.masterdata_imports`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import Parameter
from litestar.response import Redirect, Template

from recall import masterdata
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput
from recall.masterdata import ConsigneeKind
from web.api.masterdata import (
    BatchCreate,
    BatchMaterialCreate,
    ConsigneeCreate,
    MaterialLotCreate,
    ProductCreate,
)
from web.pages import masterdata_imports
from web.pages.export import FormatParameter, download
from web.pages.forms import FormState, read
from web.pages.labels import CONSIGNEE_KIND_NAMES, translated
from web.pages.render import HEADERS, N_, gettext_for, page
from web.pages.session import signed_in
from web.security import MASTER_DATA_WRITE

T = TypeVar("T")
PAGE_SIZE = 50
EXPORT_PAGE = 1000
# Lists offered in a form's choices (a datalist or a select); beyond that, type the value.
CHOICES_MAX = 500

Offset = Annotated[int, Parameter(ge=0, le=2**31 - 1)]
Search = Annotated[str | None, Parameter(required=False, max_length=100)]
Kind = Annotated[ConsigneeKind | None, Parameter(required=False)]
Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
GUARDS = [signed_in, MASTER_DATA_WRITE]


def _kinds(request: Request[Any, Any, Any]) -> dict[str, str]:
    return translated(gettext_for(request), CONSIGNEE_KIND_NAMES)


def _search(q: str | None) -> str:
    return " ".join((q or "").split())


def _listing(rows: list[Any], total: int, q: str, offset: int, **query: str) -> dict[str, Any]:
    """What the list templates need for the search box and the pager."""
    kept = {"q": q, **query}
    return {
        "rows": rows,
        "total": total,
        "q": q,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "query": "".join(f"&{urlencode({name: value})}" for name, value in kept.items() if value),
    }


def _saved(path: str, anchor: str = "") -> Redirect:
    return Redirect(f"{path}{anchor}", status_code=303, headers=HEADERS)


async def _form_refused(
    form: FormMultiDict,
    exc: InvalidInput | Conflict,
    again: Callable[..., Awaitable[Template]],
) -> Template:
    """The page again with the form's values and why it was refused (422 a field, 409 a
    duplicate); nothing was stored."""
    if isinstance(exc, InvalidInput):
        return await again(FormState.failed(form, exc), status_code=422)
    values = {name: str(value) for name, value in form.items() if not name.startswith("_")}
    return await again(FormState(values=values), status_code=409, conflict=exc.detail)


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
    status_code: int = 200,
    conflict: str | None = None,
    saved: str | None = None,
) -> Template:
    q = _search(q)
    products, total = await masterdata.list_products(PAGE_SIZE, offset, q=q)
    return page(
        request,
        "masterdata/products.html",
        {
            **_listing(products, total, q, offset),
            "form": form or FormState(),
            "conflict": conflict,
            "saved": saved,
        },
        status_code=status_code,
    )


@get("/masterdata/products", guards=GUARDS, include_in_schema=False)
async def product_list(
    request: Request[Actor, Any, Any], q: Search = None, offset: Offset = 0, saved: Search = None
) -> Template:
    return await _products_page(request, q, offset, saved=saved)


@post("/masterdata/products", guards=GUARDS, include_in_schema=False)
async def create_product(request: Request[Actor, Any, Any]) -> Template | Redirect:
    form = await request.form()
    try:
        data = read(form, ProductCreate)
        product = await masterdata.create_product(
            request.user, data.gtin, data.nie, data.name, data.strength, data.dosage_form
        )
    except (InvalidInput, Conflict) as exc:

        async def again(state: FormState, **options: Any) -> Template:
            return await _products_page(request, None, 0, state, **options)

        return await _form_refused(form, exc, again)
    return _saved(f"/masterdata/products?{urlencode({'q': product.gtin, 'saved': product.gtin})}")


# Batches -------------------------------------------------------------------------------


async def _batches_page(
    request: Request[Actor, Any, Any],
    q: str | None = None,
    offset: int = 0,
    form: FormState | None = None,
    *,
    status_code: int = 200,
    conflict: str | None = None,
) -> Template:
    q = _search(q)
    batches, total = await masterdata.list_batches(None, PAGE_SIZE, offset, q=q)
    products, _count = await masterdata.list_products(CHOICES_MAX)
    return page(
        request,
        "masterdata/batches.html",
        {
            **_listing(batches, total, q, offset),
            "form": form or FormState(),
            "conflict": conflict,
            "products": products,
        },
        status_code=status_code,
    )


@get("/masterdata/batches", guards=GUARDS, include_in_schema=False)
async def batch_list(
    request: Request[Actor, Any, Any], q: Search = None, offset: Offset = 0
) -> Template:
    return await _batches_page(request, q, offset)


@post("/masterdata/batches", guards=GUARDS, include_in_schema=False)
async def create_batch(request: Request[Actor, Any, Any]) -> Template | Redirect:
    form = await request.form()
    try:
        data = read(form, BatchCreate)
        batch = await masterdata.create_batch(
            request.user,
            data.gtin,
            data.batch_no,
            data.manufactured_on,
            data.expires_on,
            data.quantity_produced,
        )
    except (InvalidInput, Conflict) as exc:

        async def again(state: FormState, **options: Any) -> Template:
            return await _batches_page(request, None, 0, state, **options)

        return await _form_refused(form, exc, again)
    return _saved(f"/masterdata/batches/{batch.id}?saved=1")


BATCH_HEADERS = [
    N_("Batch"),
    N_("Product"),
    N_("GTIN"),
    N_("Manufactured on"),
    N_("Expires on"),
    N_("Quantity produced"),
]


async def _all(fetch: Callable[[int, int], Awaitable[tuple[list[T], int]]]) -> list[T]:
    """Every row of a list, read a page at a time."""
    found: list[T] = []
    while True:
        chunk, total = await fetch(EXPORT_PAGE, len(found))
        found += chunk
        if not chunk or len(found) >= total:
            return found


@get("/masterdata/batches/export", guards=GUARDS, include_in_schema=False)
async def export_batches(
    request: Request[Actor, Any, Any], format: FormatParameter, q: Search = None
) -> Response[bytes]:
    """The batches the list shows for the same search, all pages."""
    _ = gettext_for(request)
    q = _search(q)
    batches = await _all(lambda limit, offset: masterdata.list_batches(None, limit, offset, q=q))
    rows = (
        [b.batch_no, b.product_name, b.gtin, b.manufactured_on, b.expires_on, b.quantity_produced]
        for b in batches
    )
    return download("batches", format, [_(h) for h in BATCH_HEADERS], rows)


async def _batch_page(
    request: Request[Actor, Any, Any],
    batch_id: int,
    form: FormState | None = None,
    *,
    status_code: int = 200,
    conflict: str | None = None,
    saved: str | None = None,
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
        },
        status_code=status_code,
    )


@get("/masterdata/batches/{batch_id:int}", guards=GUARDS, include_in_schema=False)
async def batch_detail(
    request: Request[Actor, Any, Any], batch_id: Id, saved: Search = None
) -> Template:
    return await _batch_page(request, batch_id, saved=saved)


@post("/masterdata/batches/{batch_id:int}/materials", guards=GUARDS, include_in_schema=False)
async def add_batch_material(
    request: Request[Actor, Any, Any], batch_id: Id
) -> Template | Redirect:
    form = await request.form()
    try:
        data = read(form, BatchMaterialCreate)
        await masterdata.add_batch_material(
            request.user, batch_id, data.material_lot_id, data.quantity
        )
    except (InvalidInput, Conflict) as exc:

        async def again(state: FormState, **options: Any) -> Template:
            return await _batch_page(request, batch_id, state, **options)

        return await _form_refused(form, exc, again)
    return _saved(f"/masterdata/batches/{batch_id}?saved=material", "#materials")


# Material lots -------------------------------------------------------------------------


async def _lots_page(
    request: Request[Actor, Any, Any],
    q: str | None = None,
    offset: int = 0,
    form: FormState | None = None,
    *,
    status_code: int = 200,
    conflict: str | None = None,
) -> Template:
    q = _search(q)
    lots, total = await masterdata.list_material_lots(PAGE_SIZE, offset, q=q)
    return page(
        request,
        "masterdata/material_lots.html",
        {**_listing(lots, total, q, offset), "form": form or FormState(), "conflict": conflict},
        status_code=status_code,
    )


@get("/masterdata/material-lots", guards=GUARDS, include_in_schema=False)
async def material_lot_list(
    request: Request[Actor, Any, Any], q: Search = None, offset: Offset = 0
) -> Template:
    return await _lots_page(request, q, offset)


@post("/masterdata/material-lots", guards=GUARDS, include_in_schema=False)
async def create_material_lot(request: Request[Actor, Any, Any]) -> Template | Redirect:
    form = await request.form()
    try:
        data = read(form, MaterialLotCreate)
        lot = await masterdata.create_material_lot(
            request.user, data.material, data.lot_no, data.supplier
        )
    except (InvalidInput, Conflict) as exc:

        async def again(state: FormState, **options: Any) -> Template:
            return await _lots_page(request, None, 0, state, **options)

        return await _form_refused(form, exc, again)
    return _saved(f"/masterdata/material-lots/{lot.id}?saved=1")


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


# Consignees ----------------------------------------------------------------------------


async def _consignees_page(
    request: Request[Actor, Any, Any],
    q: str | None = None,
    kind: ConsigneeKind | None = None,
    offset: int = 0,
    form: FormState | None = None,
    *,
    status_code: int = 200,
    conflict: str | None = None,
) -> Template:
    q = _search(q)
    kind_value = kind.value if kind else ""
    consignees, total = await masterdata.list_consignees(kind_value or None, PAGE_SIZE, offset, q=q)
    return page(
        request,
        "masterdata/consignees.html",
        {
            **_listing(consignees, total, q, offset, kind=kind_value),
            "kind": kind_value,
            "kind_names": _kinds(request),
            "form": form or FormState(),
            "conflict": conflict,
        },
        status_code=status_code,
    )


@get("/masterdata/consignees", guards=GUARDS, include_in_schema=False)
async def consignee_list(
    request: Request[Actor, Any, Any], q: Search = None, kind: Kind = None, offset: Offset = 0
) -> Template:
    return await _consignees_page(request, q, kind, offset)


@post("/masterdata/consignees", guards=GUARDS, include_in_schema=False)
async def create_consignee(request: Request[Actor, Any, Any]) -> Template:
    form = await request.form()
    try:
        data = read(form, ConsigneeCreate)
        consignee, secret = await masterdata.create_consignee(
            request.user,
            data.code,
            data.name,
            data.kind.value,
            parent_code=data.parent_code,
            email=data.email,
            phone=data.phone,
            after_hours_phone=data.after_hours_phone,
            webhook_url=data.webhook_url,
            province=data.province,
        )
    except (InvalidInput, Conflict) as exc:

        async def again(state: FormState, **options: Any) -> Template:
            return await _consignees_page(request, None, None, 0, state, **options)

        return await _form_refused(form, exc, again)
    # The signing secret is shown on this answer only (as the API does): no redirect, no copy.
    return page(
        request,
        "masterdata/consignee_created.html",
        {"consignee": consignee, "secret": secret, "kind_names": _kinds(request)},
        status_code=201,
    )


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


@get("/masterdata/consignees/export", guards=GUARDS, include_in_schema=False)
async def export_consignees(
    request: Request[Actor, Any, Any], format: FormatParameter, q: Search = None, kind: Kind = None
) -> Response[bytes]:
    """The consignees the list shows for the same search and kind, all pages."""
    _ = gettext_for(request)
    q = _search(q)
    kinds = _kinds(request)
    consignees = await _all(
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


ROUTES: list[Any] = [
    overview,
    product_list,
    create_product,
    batch_list,
    create_batch,
    export_batches,
    batch_detail,
    add_batch_material,
    material_lot_list,
    create_material_lot,
    material_lot_detail,
    consignee_list,
    create_consignee,
    export_consignees,
    consignee_detail,
    *masterdata_imports.ROUTES,
]

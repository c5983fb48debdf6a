"""Master data: products, batches and the material lots in them, consignees and their API keys."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from recall import auth, masterdata
from recall.actors import Actor
from recall.masterdata import ConsigneeKind
from web.api.schemas import (
    BAD_BODY,
    NO_SUCH_RECORD,
    Count,
    Gtin,
    Id,
    Limit,
    Offset,
    Page,
    errors,
    read_model,
)
from web.security import ADMIN_ONLY, MASTER_DATA_WRITE, QA_STAFF, QUALITY_READ, READ_ALL

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
LotNo = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Code = Annotated[str, msgspec.Meta(max_length=40)]
Phone = Annotated[str, msgspec.Meta(max_length=40)]

CREATE_ERRORS = {**BAD_BODY, **errors({409: "A record with the same key exists"})}
NOT_FOUND = NO_SUCH_RECORD


# Products ------------------------------------------------------------------------


class ProductCreate(msgspec.Struct):
    gtin: Gtin
    nie: Annotated[str, msgspec.Meta(min_length=1, max_length=30, examples=["DKL2012345601A1"])]
    name: Name
    strength: ShortText
    dosage_form: ShortText


class ProductController(Controller):
    path = "/api/products"
    tags = ["master data"]

    @post("/", operation_id="CreateProduct", guards=[MASTER_DATA_WRITE], responses=CREATE_ERRORS)
    async def create_product(
        self, data: JSONBody[ProductCreate], request: Request[Actor, Any, Any]
    ) -> masterdata.Product:
        return await masterdata.create_product(
            request.user, data.gtin, data.nie, data.name, data.strength, data.dosage_form
        )

    @get("/", operation_id="ListProducts", guards=[READ_ALL])
    async def list_products(
        self, limit: Limit = 50, offset: Offset = 0
    ) -> Page[masterdata.Product]:
        products, total = await masterdata.list_products(limit, offset)
        return Page(items=products, total=total)

    @get("/{product_id:int}", operation_id="GetProduct", guards=[READ_ALL], responses=NOT_FOUND)
    async def get_product(self, product_id: FromPath[int]) -> masterdata.Product:
        return await masterdata.get_product(product_id)


# Batches and the material lots that went into them -------------------------------


class BatchCreate(msgspec.Struct):
    gtin: Gtin
    batch_no: Annotated[str, msgspec.Meta(min_length=1, max_length=20, examples=["SYR2401"])]
    manufactured_on: date
    expires_on: date
    quantity_produced: Count


class BatchMaterialCreate(msgspec.Struct):
    material_lot_id: Id
    # A JSON number or a decimal string ("12.5"); at most three decimal places.
    quantity: Decimal


class BatchMaterialRead(msgspec.Struct):
    """A batch's material with its quantity as a JSON number (a Decimal in the domain)."""

    id: int
    batch_id: int
    batch_no: str
    material_lot_id: int
    material: str
    lot_no: str
    supplier: str
    quantity: float


class BatchStatusChange(msgspec.Struct):
    """Why a batch is put on hold or released (kept in its audit trail)."""

    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


STATUS_ERRORS = {
    **BAD_BODY,
    **NOT_FOUND,
    **errors({409: "The batch is not in a status this change applies to"}),
}


async def add_batch(actor: Actor, data: BatchCreate) -> masterdata.Batch:
    """Add the batch `data` describes."""
    return await masterdata.create_batch(
        actor,
        data.gtin,
        data.batch_no,
        data.manufactured_on,
        data.expires_on,
        data.quantity_produced,
    )


class BatchController(Controller):
    path = "/api/batches"
    tags = ["master data"]

    @post("/", operation_id="CreateBatch", guards=[MASTER_DATA_WRITE], responses=CREATE_ERRORS)
    async def create_batch(
        self, data: JSONBody[BatchCreate], request: Request[Actor, Any, Any]
    ) -> masterdata.Batch:
        return await add_batch(request.user, data)

    @get("/", operation_id="ListBatches", guards=[READ_ALL])
    async def list_batches(
        self,
        gtin: Annotated[str | None, QueryParameter(max_length=20)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[masterdata.Batch]:
        batches, total = await masterdata.list_batches(gtin, limit, offset)
        return Page(items=batches, total=total)

    @get("/{batch_id:int}", operation_id="GetBatch", guards=[READ_ALL], responses=NOT_FOUND)
    async def get_batch(self, batch_id: FromPath[int]) -> masterdata.Batch:
        return await masterdata.get_batch(batch_id)

    @post(
        "/{batch_id:int}/hold",
        operation_id="HoldBatch",
        guards=[QA_STAFF],
        status_code=200,
        responses=STATUS_ERRORS,
        description="Put a released batch on hold: shipments dated from the hold's day on "
        "are refused (409 naming `batch_no`). Audited with the reason.",
    )
    async def hold_batch(
        self,
        batch_id: FromPath[int],
        data: JSONBody[BatchStatusChange],
        request: Request[Actor, Any, Any],
    ) -> masterdata.Batch:
        return await masterdata.hold_batch(request.user, batch_id, data.reason)

    @post(
        "/{batch_id:int}/release",
        operation_id="ReleaseBatch",
        guards=[QA_STAFF],
        status_code=200,
        responses=STATUS_ERRORS,
        description="Release a batch on hold. A recalled batch cannot be released (409).",
    )
    async def release_batch(
        self,
        batch_id: FromPath[int],
        data: JSONBody[BatchStatusChange],
        request: Request[Actor, Any, Any],
    ) -> masterdata.Batch:
        return await masterdata.release_batch(request.user, batch_id, data.reason)

    @post(
        "/{batch_id:int}/materials",
        operation_id="AddBatchMaterial",
        guards=[MASTER_DATA_WRITE],
        responses={**CREATE_ERRORS, **NOT_FOUND},
    )
    async def add_batch_material(
        self,
        batch_id: FromPath[int],
        data: JSONBody[BatchMaterialCreate],
        request: Request[Actor, Any, Any],
    ) -> BatchMaterialRead:
        link = await masterdata.add_batch_material(
            request.user, batch_id, data.material_lot_id, data.quantity
        )
        return read_model(BatchMaterialRead, link)

    @get(
        "/{batch_id:int}/materials",
        operation_id="ListBatchMaterials",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
    )
    async def list_batch_materials(self, batch_id: FromPath[int]) -> Page[BatchMaterialRead]:
        links = await masterdata.list_batch_materials(batch_id)
        return Page(items=[read_model(BatchMaterialRead, link) for link in links], total=len(links))


# Material lots -------------------------------------------------------------------


class MaterialLotCreate(msgspec.Struct):
    material: Name
    lot_no: LotNo
    supplier: Name


class MaterialLotController(Controller):
    path = "/api/material-lots"
    tags = ["master data"]

    @post(
        "/", operation_id="CreateMaterialLot", guards=[MASTER_DATA_WRITE], responses=CREATE_ERRORS
    )
    async def create_material_lot(
        self, data: JSONBody[MaterialLotCreate], request: Request[Actor, Any, Any]
    ) -> masterdata.MaterialLot:
        return await masterdata.create_material_lot(
            request.user, data.material, data.lot_no, data.supplier
        )

    @get("/", operation_id="ListMaterialLots", guards=[QUALITY_READ])
    async def list_material_lots(
        self, limit: Limit = 50, offset: Offset = 0
    ) -> Page[masterdata.MaterialLot]:
        lots, total = await masterdata.list_material_lots(limit, offset)
        return Page(items=lots, total=total)

    @get(
        "/{lot_id:int}",
        operation_id="GetMaterialLot",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
    )
    async def get_material_lot(self, lot_id: FromPath[int]) -> masterdata.MaterialLot:
        return await masterdata.get_material_lot(lot_id)


# Consignees and their API keys ---------------------------------------------------


class ConsigneeCreate(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40, examples=["PBF-JKT-01"])]
    name: Name
    kind: ConsigneeKind
    parent_code: Code | None = None
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    phone: Phone | None = None
    after_hours_phone: Phone | None = None
    webhook_url: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    # In Indonesia an official name or a known alias ("East Java" is stored as "Jawa Timur").
    province: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    # ISO 3166 alpha-2, any case; without it, the plant's country (RECALL_PLANT_COUNTRY).
    country: Annotated[str, msgspec.Meta(max_length=100, examples=["ID"])] | None = None


class ConsigneeRead(msgspec.Struct):
    id: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    email: str | None
    phone: str | None
    after_hours_phone: str | None
    webhook_url: str | None
    province: str | None
    country: str


class ConsigneeCreated(ConsigneeRead):
    """The new consignee with its webhook signing secret, which is never shown again."""

    webhook_secret: str


class ApiKeyCreated(msgspec.Struct):
    """A consignee API key, shown once: send it as `Authorization: Bearer <key>`."""

    key: str


async def add_consignee(actor: Actor, data: ConsigneeCreate) -> tuple[masterdata.Consignee, str]:
    """Add the consignee `data` describes; it and its signing secret (shown once)."""
    return await masterdata.create_consignee(
        actor,
        data.code,
        data.name,
        data.kind.value,
        parent_code=data.parent_code,
        email=data.email,
        phone=data.phone,
        after_hours_phone=data.after_hours_phone,
        webhook_url=data.webhook_url,
        province=data.province,
        country=data.country,
    )


class ConsigneeController(Controller):
    path = "/api/consignees"
    tags = ["master data"]

    @post("/", operation_id="CreateConsignee", guards=[MASTER_DATA_WRITE], responses=CREATE_ERRORS)
    async def create_consignee(
        self, data: JSONBody[ConsigneeCreate], request: Request[Actor, Any, Any]
    ) -> ConsigneeCreated:
        consignee, secret = await add_consignee(request.user, data)
        return read_model(ConsigneeCreated, consignee, webhook_secret=secret)

    @get("/", operation_id="ListConsignees", guards=[QUALITY_READ])
    async def list_consignees(
        self, kind: FromQuery[ConsigneeKind | None] = None, limit: Limit = 50, offset: Offset = 0
    ) -> Page[ConsigneeRead]:
        consignees, total = await masterdata.list_consignees(
            kind.value if kind else None, limit, offset
        )
        return Page(items=[read_model(ConsigneeRead, c) for c in consignees], total=total)

    @get(
        "/{consignee_id:int}",
        operation_id="GetConsignee",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
    )
    async def get_consignee(self, consignee_id: FromPath[int]) -> ConsigneeRead:
        return read_model(ConsigneeRead, await masterdata.get_consignee(consignee_id))

    @post(
        "/{consignee_id:int}/api-keys",
        operation_id="CreateConsigneeApiKey",
        # A key acts as its consignee: minting one is an administrator's decision.
        guards=[ADMIN_ONLY],
        responses=NOT_FOUND,
    )
    async def create_api_key(
        self, consignee_id: FromPath[int], request: Request[Actor, Any, Any]
    ) -> ApiKeyCreated:
        return ApiKeyCreated(key=await auth.create_api_key(request.user, consignee_id))

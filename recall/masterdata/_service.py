"""Use cases of master data: products, batches, material lots and consignees."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from recall import audit, clock, db
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput, NotFound
from recall.gs1 import normalize_gtin
from recall.masterdata._destinations import check_webhook_destination
from recall.masterdata._markets import check_country, check_province
from recall.masterdata._models import (
    Batch,
    BatchMaterial,
    BatchStatus,
    Consignee,
    ConsigneeKind,
    MaterialLot,
    Product,
    check_amount,
    check_batch_dates,
    check_batch_no,
    check_code,
    check_count,
    check_email,
    normalize_nie,
)
from recall.masterdata._webhook_secrets import new_webhook_secret, seal_webhook_secret
from recall.rules import choice, is_valid_id, required_text, text

NAME_MAX = 200


async def _insert(table: str, values: Mapping[str, Any], conflict: str) -> int:
    """Insert a row, its id; a unique key lost to a concurrent writer is a Conflict, not a crash."""
    try:
        return await db.insert(table, values)
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise Conflict(conflict) from None
        raise


async def _exists(sql: str, *values: Any) -> bool:
    return bool(await db.fetch(f"SELECT 1 AS found WHERE EXISTS ({sql})", *values))


# Products ------------------------------------------------------------------------


_PRODUCT_COLUMNS = "id, gtin, nie, name, strength, dosage_form"


def _product(row: Mapping[str, Any]) -> Product:
    return Product(
        row["id"], row["gtin"], row["nie"], row["name"], row["strength"], row["dosage_form"]
    )


async def create_product(
    actor: Actor, gtin: str, nie: str, name: str, strength: str, dosage_form: str
) -> Product:
    values: dict[str, Any] = {
        "gtin": normalize_gtin(gtin),
        "nie": normalize_nie(nie),
        "name": required_text(name, "name", NAME_MAX, one_line=True),
        "strength": required_text(strength, "strength", 100, one_line=True),
        "dosage_form": required_text(dosage_form, "dosage_form", 100, one_line=True),
    }
    async with db.transaction():
        conflict = f"a product with GTIN {values['gtin']} exists"
        if await _exists("SELECT 1 FROM product WHERE gtin = {}", values["gtin"]):
            raise Conflict(conflict)
        product_id = await _insert("product", {**values, "created_at": clock.now()}, conflict)
        await audit.record(actor, audit.Change("product", product_id, "created", new=values))
    return Product(product_id, **values)


async def get_product(product_id: int) -> Product:
    rows = []
    if is_valid_id(product_id):
        rows = await db.fetch(f"SELECT {_PRODUCT_COLUMNS} FROM product WHERE id = {{}}", product_id)
    if not rows:
        raise NotFound(f"product {product_id} not found")
    return _product(rows[0])


async def product_by_gtin(gtin: str, *, field: str = "gtin") -> Product:
    """The product with this GTIN; InvalidInput naming `field` when unknown or malformed."""
    normalized = normalize_gtin(gtin, field=field)
    rows = await db.fetch(f"SELECT {_PRODUCT_COLUMNS} FROM product WHERE gtin = {{}}", normalized)
    if not rows:
        raise InvalidInput(field, f"no product with GTIN {normalized}")
    return _product(rows[0])


async def product_by_nie(nie: str, batch_no: str, *, field: str = "nie") -> Product:
    """The product with this BPOM NIE; InvalidInput naming `field` when unknown or malformed.

    One registration covers every pack size, each with its own GTIN: when several products
    share the NIE, the one that made batch `batch_no` is the pack scanned.
    """
    normalized = normalize_nie(nie, field)
    rows = await db.fetch(
        f"SELECT {_PRODUCT_COLUMNS} FROM product WHERE nie = {{}} ORDER BY id", normalized
    )
    if not rows:
        raise InvalidInput(field, f"no product with NIE {normalized}")
    if len(rows) == 1:
        return _product(rows[0])
    makers = await db.fetch(
        "SELECT DISTINCT b.product AS id FROM batch b JOIN product p ON p.id = b.product "
        "WHERE p.nie = {} AND b.batch_no = {}",
        normalized,
        batch_no,
    )
    if len(makers) != 1:
        raise InvalidInput(
            field,
            f"NIE {normalized} is registered for {len(rows)} pack sizes and batch {batch_no} "
            f"is known under {len(makers)} of them: scan or type the pack's GTIN",
        )
    return next(_product(row) for row in rows if row["id"] == makers[0]["id"])


async def list_products(
    limit: int = 50, offset: int = 0, *, q: str | None = None
) -> tuple[list[Product], int]:
    """Products by name; `q` finds words in the name, GTIN or NIE."""
    where, values = db.where(db.words_in(q, "name", "gtin", "nie"))
    rows, total = await db.fetch_page(
        _PRODUCT_COLUMNS, "product" + where, "name, id", values, limit, offset
    )
    return [_product(row) for row in rows], total


# Batches -------------------------------------------------------------------------

_BATCH_COLUMNS = (
    "b.id AS id, b.product AS product, p.gtin AS gtin, p.name AS product_name, "
    "b.batch_no AS batch_no, b.manufactured_on AS manufactured_on, "
    "b.expires_on AS expires_on, b.quantity_produced AS quantity_produced, "
    "b.status AS status, b.held_at AS held_at, b.status_reason AS status_reason"
)
_BATCHES = "batch b JOIN product p ON p.id = b.product"


def _batch(row: Mapping[str, Any]) -> Batch:
    return Batch(
        id=row["id"],
        product_id=row["product"],
        gtin=row["gtin"],
        product_name=row["product_name"],
        batch_no=row["batch_no"],
        manufactured_on=db.as_date(row["manufactured_on"]),
        expires_on=db.as_date(row["expires_on"]),
        quantity_produced=row["quantity_produced"],
        status=row["status"],
        held_at=db.as_utc(row["held_at"]) if row["held_at"] else None,
        status_reason=row["status_reason"],
    )


async def create_batch(
    actor: Actor,
    gtin: str,
    batch_no: str,
    manufactured_on: date,
    expires_on: date,
    quantity_produced: int,
) -> Batch:
    batch_no = check_batch_no(batch_no)
    check_batch_dates(manufactured_on, expires_on)
    check_count(quantity_produced, "quantity_produced")
    product = await product_by_gtin(gtin)
    async with db.transaction():
        conflict = f"batch {batch_no} of GTIN {product.gtin} exists"
        duplicate = "SELECT 1 FROM batch WHERE product = {} AND batch_no = {}"
        if await _exists(duplicate, product.id, batch_no):
            raise Conflict(conflict)
        row = {
            "product": product.id,
            "batch_no": batch_no,
            "manufactured_on": manufactured_on,
            "expires_on": expires_on,
            "quantity_produced": quantity_produced,
            "created_at": clock.now(),
            "status": BatchStatus.RELEASED.value,
        }
        batch_id = await _insert("batch", row, conflict)
        new = {
            "gtin": product.gtin,
            "batch_no": batch_no,
            "manufactured_on": manufactured_on,
            "expires_on": expires_on,
            "quantity_produced": quantity_produced,
        }
        await audit.record(actor, audit.Change("batch", batch_id, "created", new=new))
    return Batch(
        batch_id, product.id, product.gtin, product.name, batch_no, manufactured_on, expires_on,
        quantity_produced,
    )  # fmt: skip


async def get_batch(batch_id: int) -> Batch:
    rows = []
    if is_valid_id(batch_id):
        rows = await db.fetch(
            f"SELECT {_BATCH_COLUMNS} FROM {_BATCHES} WHERE b.id = {{}}", batch_id
        )
    if not rows:
        raise NotFound(f"batch {batch_id} not found")
    return _batch(rows[0])


async def find_batch(gtin: str, batch_no: str) -> Batch | None:
    """The batch of a product with this number, or None (also for a malformed GTIN)."""
    try:
        normalized = normalize_gtin(gtin)
    except InvalidInput:
        return None
    rows = await db.fetch(
        f"SELECT {_BATCH_COLUMNS} FROM {_BATCHES} WHERE p.gtin = {{}} AND b.batch_no = {{}} "
        "LIMIT 1",
        normalized,
        batch_no.strip(),
    )
    return _batch(rows[0]) if rows else None


async def list_batches(
    gtin: str | None = None, limit: int = 50, offset: int = 0, *, q: str | None = None
) -> tuple[list[Batch], int]:
    """Batches, newest first; `q` finds words in the batch number, product name or GTIN."""
    of_gtin = ("p.gtin = {}", [normalize_gtin(gtin)]) if gtin else ("", [])
    where, values = db.where(of_gtin, db.words_in(q, "b.batch_no", "p.name", "p.gtin"))
    rows, total = await db.fetch_page(
        _BATCH_COLUMNS, _BATCHES + where, "b.id DESC", values, limit, offset
    )
    return [_batch(row) for row in rows], total


# Material lots -------------------------------------------------------------------


_LOT_COLUMNS = "id, material, lot_no, supplier"


def _lot(row: Mapping[str, Any]) -> MaterialLot:
    return MaterialLot(row["id"], row["material"], row["lot_no"], row["supplier"])


async def create_material_lot(
    actor: Actor, material: str, lot_no: str, supplier: str
) -> MaterialLot:
    values: dict[str, Any] = {
        "material": required_text(material, "material", NAME_MAX, one_line=True),
        "lot_no": required_text(lot_no, "lot_no", 60, one_line=True),
        "supplier": required_text(supplier, "supplier", NAME_MAX, one_line=True),
    }
    async with db.transaction():
        conflict = f"lot {values['lot_no']} of {values['material']} exists"
        duplicate = "SELECT 1 FROM material_lot WHERE material = {} AND lot_no = {}"
        if await _exists(duplicate, values["material"], values["lot_no"]):
            raise Conflict(conflict)
        row = {**values, "created_at": clock.now()}
        lot_id = await _insert("material_lot", row, conflict)
        await audit.record(actor, audit.Change("material_lot", lot_id, "created", new=values))
    return MaterialLot(lot_id, **values)


async def get_material_lot(lot_id: int) -> MaterialLot:
    rows = []
    if is_valid_id(lot_id):
        rows = await db.fetch(f"SELECT {_LOT_COLUMNS} FROM material_lot WHERE id = {{}}", lot_id)
    if not rows:
        raise NotFound(f"material lot {lot_id} not found")
    return _lot(rows[0])


async def list_material_lots(
    limit: int = 50, offset: int = 0, *, q: str | None = None
) -> tuple[list[MaterialLot], int]:
    """Material lots, newest first; `q` finds words in the material, lot number or supplier."""
    where, values = db.where(db.words_in(q, "material", "lot_no", "supplier"))
    rows, total = await db.fetch_page(
        _LOT_COLUMNS, "material_lot" + where, "id DESC", values, limit, offset
    )
    return [_lot(row) for row in rows], total


async def add_batch_material(
    actor: Actor, batch_id: int, material_lot_id: int, quantity: Decimal
) -> BatchMaterial:
    """Record that a material lot went into a batch (the link the lot trace follows)."""
    quantity = check_amount(quantity, "quantity")
    batch = await get_batch(batch_id)
    try:
        lot = await get_material_lot(material_lot_id)
    except NotFound:
        raise InvalidInput("material_lot_id", f"no material lot {material_lot_id}") from None
    async with db.transaction():
        conflict = f"lot {lot.lot_no} is already recorded for batch {batch.batch_no}"
        duplicate = "SELECT 1 FROM batch_material WHERE batch = {} AND material_lot = {}"
        if await _exists(duplicate, batch.id, lot.id):
            raise Conflict(conflict)
        row = {"batch": batch.id, "material_lot": lot.id, "quantity": quantity,
               "created_at": clock.now()}  # fmt: skip
        link_id = await _insert("batch_material", row, conflict)
        new = {"batch_no": batch.batch_no, "material_lot_id": lot.id, "lot_no": lot.lot_no,
               "quantity": quantity}  # fmt: skip
        await audit.record(actor, audit.Change("batch", batch.id, "material_added", new=new))
    return BatchMaterial(
        link_id, batch.id, batch.batch_no, lot.id, quantity, lot.material, lot.lot_no, lot.supplier
    )


async def list_batch_materials(batch_id: int) -> list[BatchMaterial]:
    """The material lots that went into a batch, in the order they were recorded."""
    batch = await get_batch(batch_id)
    rows = await db.fetch(
        "SELECT bm.id AS id, bm.material_lot AS material_lot, bm.quantity AS quantity, "
        "lot.material AS material, lot.lot_no AS lot_no, lot.supplier AS supplier "
        "FROM batch_material bm JOIN material_lot lot ON lot.id = bm.material_lot "
        "WHERE bm.batch = {} ORDER BY bm.id",
        batch.id,
    )
    return [
        BatchMaterial(
            id=row["id"],
            batch_id=batch.id,
            batch_no=batch.batch_no,
            material_lot_id=row["material_lot"],
            quantity=Decimal(str(row["quantity"])),
            material=row["material"],
            lot_no=row["lot_no"],
            supplier=row["supplier"],
        )
        for row in rows
    ]


# Consignees ----------------------------------------------------------------------


def _consignee(row: Mapping[str, Any]) -> Consignee:
    return Consignee(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        parent_code=row["parent_code"],
        email=row["email"],
        phone=row["phone"],
        after_hours_phone=row["after_hours_phone"],
        webhook_url=row["webhook_url"],
        province=row["province"],
        country=row["country"],
    )


# Every column but the webhook secret, and the parent's code.
_CONSIGNEE_COLUMNS = (
    "c.id AS id, c.code AS code, c.name AS name, c.kind AS kind, c.email AS email, "
    "c.phone AS phone, c.after_hours_phone AS after_hours_phone, c.webhook_url AS webhook_url, "
    "c.province AS province, c.country AS country, parent.code AS parent_code"
)
_CONSIGNEES = "consignee c LEFT JOIN consignee parent ON parent.id = c.parent"


def _kind(value: str) -> str:
    return choice(ConsigneeKind, value, "kind").value


def _optional(value: str | None, field: str, max_length: int) -> str | None:
    return text(value, field, max_length, required=False, one_line=True)


async def create_consignee(
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    after_hours_phone: str | None = None,
    webhook_url: str | None = None,
    province: str | None = None,
    country: str | None = None,
) -> tuple[Consignee, str]:
    """Create a consignee; returns it with its webhook signing secret (shown once).

    `country` (ISO 3166 alpha-2, any case) defaults to the plant's; an Indonesian province
    is stored under its official name.
    """
    values: dict[str, Any] = {
        "code": check_code(code, "code"),
        "name": required_text(name, "name", NAME_MAX, one_line=True),
        "kind": _kind(kind),
        "email": check_email(email),
        "phone": _optional(phone, "phone", 40),
        "after_hours_phone": _optional(after_hours_phone, "after_hours_phone", 40),
        "webhook_url": await check_webhook_destination(webhook_url),
        "country": (country := check_country(country)),
        "province": check_province(province, country),
    }
    parent = None
    if parent_code and parent_code.strip():
        parent_code = check_code(parent_code, "parent_code")
        parent = await consignee_by_code(parent_code, field="parent_code")
    secret = new_webhook_secret()
    async with db.transaction():
        conflict = f"a consignee with code {values['code']} exists"
        if await _exists("SELECT 1 FROM consignee WHERE code = {}", values["code"]):
            raise Conflict(conflict)
        row = {
            **values,
            "parent": parent.id if parent else None,
            "webhook_secret": seal_webhook_secret(secret),  # kept sealed, shown once
            "active": True,
            "created_at": clock.now(),
        }
        consignee_id = await _insert("consignee", row, conflict)
        new = {**values, "parent_code": parent.code if parent else None}
        await audit.record(actor, audit.Change("consignee", consignee_id, "created", new=new))
    parent_code = parent.code if parent else None
    return Consignee(id=consignee_id, parent_code=parent_code, **values), secret


async def get_consignee(consignee_id: int) -> Consignee:
    rows = []
    if is_valid_id(consignee_id):
        rows = await db.fetch(
            f"SELECT {_CONSIGNEE_COLUMNS} FROM {_CONSIGNEES} WHERE c.id = {{}}", consignee_id
        )
    if not rows:
        raise NotFound(f"consignee {consignee_id} not found")
    return _consignee(rows[0])


async def consignee_by_code(code: str, *, field: str = "consignee_code") -> Consignee:
    """The consignee with `code`; InvalidInput naming `field` when there is none."""
    rows = await db.fetch(
        f"SELECT {_CONSIGNEE_COLUMNS} FROM {_CONSIGNEES} WHERE c.code = {{}}", code.strip()
    )
    if not rows:
        raise InvalidInput(field, f"no consignee with code {code!r}")
    return _consignee(rows[0])


async def list_consignees(
    kind: str | None = None, limit: int = 50, offset: int = 0, *, q: str | None = None
) -> tuple[list[Consignee], int]:
    """Consignees by code; `q` finds words in the code, name, province or country code."""
    of_kind = ("c.kind = {}", [_kind(kind)]) if kind else ("", [])
    where, values = db.where(of_kind, db.words_in(q, "c.code", "c.name", "c.province", "c.country"))
    rows, total = await db.fetch_page(
        _CONSIGNEE_COLUMNS, _CONSIGNEES + where, "c.code", values, limit, offset
    )
    return [_consignee(row) for row in rows], total

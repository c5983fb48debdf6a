"""Use cases of master data: products, batches, material lots and consignees."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from recall import audit, clock, db
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput, NotFound
from recall.gs1 import normalize_gtin
from recall.masterdata import tables
from recall.masterdata._destinations import check_webhook_destination
from recall.masterdata._models import (
    Batch,
    BatchMaterial,
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


async def _insert(row: Table, conflict: str) -> None:
    """Save a new row; a unique key lost to a concurrent writer is a Conflict, not a crash."""
    try:
        await row.save()
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise Conflict(conflict) from None
        raise


# Products ------------------------------------------------------------------------


def _product(row: dict[str, Any]) -> Product:
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
        if await tables.Product.exists().where(tables.Product.gtin == values["gtin"]):
            raise Conflict(conflict)
        row = tables.Product(**values, created_at=clock.now())
        await _insert(row, conflict)
        await audit.record(actor, audit.Change("product", row.id, "created", new=values))
    return Product(row.id, **values)


async def get_product(product_id: int) -> Product:
    row = None
    if is_valid_id(product_id):
        row = await tables.Product.select().where(tables.Product.id == product_id).first()
    if row is None:
        raise NotFound(f"product {product_id} not found")
    return _product(row)


async def product_by_gtin(gtin: str, *, field: str = "gtin") -> Product:
    """The product with this GTIN; InvalidInput naming `field` when unknown or malformed."""
    normalized = normalize_gtin(gtin, field=field)
    # Plain SQL: every complaint and shipment line asks, and an ORM query costs more to build.
    rows = await db.fetch(
        "SELECT id, gtin, nie, name, strength, dosage_form FROM product WHERE gtin = {}",
        normalized,
    )
    if not rows:
        raise InvalidInput(field, f"no product with GTIN {normalized}")
    return _product(rows[0])


def _matching(q: str | None, *columns: Any) -> Any:
    """A condition: any of `columns` contains the words of `q` (case-insensitive), or None."""
    words = (q or "").split()
    if not words:
        return None
    # SQLite's LIKE already ignores case (for ASCII); PostgreSQL needs ILIKE.
    caseless = "like" if isinstance(db.get_engine(), SQLiteEngine) else "ilike"
    condition = None
    for word in words[:5]:  # each word adds a LIKE per column: a few are enough
        pattern = f"%{word}%"
        any_column = None
        for column in columns:
            match = getattr(column, caseless)(pattern)
            any_column = match if any_column is None else any_column | match
        condition = any_column if condition is None else condition & any_column
    return condition


async def list_products(
    limit: int = 50, offset: int = 0, *, q: str | None = None
) -> tuple[list[Product], int]:
    """Products by name; `q` finds words in the name, GTIN or NIE."""
    query = tables.Product.select().order_by(tables.Product.name, tables.Product.id)
    count = tables.Product.count()
    found = _matching(q, tables.Product.name, tables.Product.gtin, tables.Product.nie)
    if found is not None:
        query, count = query.where(found), count.where(found)
    rows = await query.limit(limit).offset(offset)
    return [_product(row) for row in rows], await count


# Batches -------------------------------------------------------------------------

_BATCH_COLUMNS = (
    tables.Batch.id,
    tables.Batch.product,
    tables.Batch.product.gtin,
    tables.Batch.product.name,
    tables.Batch.batch_no,
    tables.Batch.manufactured_on,
    tables.Batch.expires_on,
    tables.Batch.quantity_produced,
)


def _batch(row: dict[str, Any]) -> Batch:
    return Batch(
        id=row["id"],
        product_id=row["product"],
        gtin=row["product.gtin"],
        product_name=row["product.name"],
        batch_no=row["batch_no"],
        manufactured_on=row["manufactured_on"],
        expires_on=row["expires_on"],
        quantity_produced=row["quantity_produced"],
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
        duplicate = tables.Batch.exists().where(
            tables.Batch.product == product.id, tables.Batch.batch_no == batch_no
        )
        if await duplicate:
            raise Conflict(conflict)
        row = tables.Batch(
            product=product.id,
            batch_no=batch_no,
            manufactured_on=manufactured_on,
            expires_on=expires_on,
            quantity_produced=quantity_produced,
            created_at=clock.now(),
        )
        await _insert(row, conflict)
        new = {
            "gtin": product.gtin,
            "batch_no": batch_no,
            "manufactured_on": manufactured_on,
            "expires_on": expires_on,
            "quantity_produced": quantity_produced,
        }
        await audit.record(actor, audit.Change("batch", row.id, "created", new=new))
    return Batch(
        row.id, product.id, product.gtin, product.name, batch_no, manufactured_on, expires_on,
        quantity_produced,
    )  # fmt: skip


async def get_batch(batch_id: int) -> Batch:
    row = None
    if is_valid_id(batch_id):
        row = await tables.Batch.select(*_BATCH_COLUMNS).where(tables.Batch.id == batch_id).first()
    if row is None:
        raise NotFound(f"batch {batch_id} not found")
    return _batch(row)


async def find_batch(gtin: str, batch_no: str) -> Batch | None:
    """The batch of a product with this number, or None (also for a malformed GTIN)."""
    try:
        normalized = normalize_gtin(gtin)
    except InvalidInput:
        return None
    row = (
        await tables.Batch.select(*_BATCH_COLUMNS)
        .where(tables.Batch.product.gtin == normalized, tables.Batch.batch_no == batch_no.strip())
        .first()
    )
    return _batch(row) if row else None


async def list_batches(
    gtin: str | None = None, limit: int = 50, offset: int = 0, *, q: str | None = None
) -> tuple[list[Batch], int]:
    """Batches, newest first; `q` finds words in the batch number, product name or GTIN."""
    query = tables.Batch.select(*_BATCH_COLUMNS).order_by(tables.Batch.id, ascending=False)
    count = tables.Batch.count()
    if gtin:
        normalized = normalize_gtin(gtin)
        query = query.where(tables.Batch.product.gtin == normalized)
        count = count.where(tables.Batch.product.gtin == normalized)
    found = _matching(
        q, tables.Batch.batch_no, tables.Batch.product.name, tables.Batch.product.gtin
    )
    if found is not None:
        query, count = query.where(found), count.where(found)
    rows = await query.limit(limit).offset(offset)
    return [_batch(row) for row in rows], await count


# Material lots -------------------------------------------------------------------


def _lot(row: dict[str, Any]) -> MaterialLot:
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
        duplicate = tables.MaterialLot.exists().where(
            tables.MaterialLot.material == values["material"],
            tables.MaterialLot.lot_no == values["lot_no"],
        )
        if await duplicate:
            raise Conflict(conflict)
        row = tables.MaterialLot(**values, created_at=clock.now())
        await _insert(row, conflict)
        await audit.record(actor, audit.Change("material_lot", row.id, "created", new=values))
    return MaterialLot(row.id, **values)


async def get_material_lot(lot_id: int) -> MaterialLot:
    row = None
    if is_valid_id(lot_id):
        row = await tables.MaterialLot.select().where(tables.MaterialLot.id == lot_id).first()
    if row is None:
        raise NotFound(f"material lot {lot_id} not found")
    return _lot(row)


async def list_material_lots(
    limit: int = 50, offset: int = 0, *, q: str | None = None
) -> tuple[list[MaterialLot], int]:
    """Material lots, newest first; `q` finds words in the material, lot number or supplier."""
    query = tables.MaterialLot.select().order_by(tables.MaterialLot.id, ascending=False)
    count = tables.MaterialLot.count()
    lot = tables.MaterialLot
    found = _matching(q, lot.material, lot.lot_no, lot.supplier)
    if found is not None:
        query, count = query.where(found), count.where(found)
    rows = await query.limit(limit).offset(offset)
    return [_lot(row) for row in rows], await count


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
        duplicate = tables.BatchMaterial.exists().where(
            tables.BatchMaterial.batch == batch.id,
            tables.BatchMaterial.material_lot == lot.id,
        )
        if await duplicate:
            raise Conflict(conflict)
        row = tables.BatchMaterial(
            batch=batch.id, material_lot=lot.id, quantity=quantity, created_at=clock.now()
        )
        await _insert(row, conflict)
        new = {"batch_no": batch.batch_no, "material_lot_id": lot.id, "lot_no": lot.lot_no,
               "quantity": quantity}  # fmt: skip
        await audit.record(actor, audit.Change("batch", batch.id, "material_added", new=new))
    return BatchMaterial(
        row.id, batch.id, batch.batch_no, lot.id, quantity, lot.material, lot.lot_no, lot.supplier
    )


async def list_batch_materials(batch_id: int) -> list[BatchMaterial]:
    """The material lots that went into a batch, in the order they were recorded."""
    batch = await get_batch(batch_id)
    rows = (
        await tables.BatchMaterial.select(
            tables.BatchMaterial.id,
            tables.BatchMaterial.material_lot,
            tables.BatchMaterial.quantity,
            tables.BatchMaterial.material_lot.material,
            tables.BatchMaterial.material_lot.lot_no,
            tables.BatchMaterial.material_lot.supplier,
        )
        .where(tables.BatchMaterial.batch == batch.id)
        .order_by(tables.BatchMaterial.id)
    )
    return [
        BatchMaterial(
            id=row["id"],
            batch_id=batch.id,
            batch_no=batch.batch_no,
            material_lot_id=row["material_lot"],
            quantity=Decimal(str(row["quantity"])),
            material=row["material_lot.material"],
            lot_no=row["material_lot.lot_no"],
            supplier=row["material_lot.supplier"],
        )
        for row in rows
    ]


# Consignees ----------------------------------------------------------------------


def _consignee(row: dict[str, Any]) -> Consignee:
    return Consignee(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        parent_code=row.get("parent.code"),
        email=row["email"],
        phone=row["phone"],
        after_hours_phone=row["after_hours_phone"],
        webhook_url=row["webhook_url"],
        province=row["province"],
    )


def _consignee_query() -> Any:
    columns = [c for c in tables.Consignee.all_columns() if c._meta.name != "webhook_secret"]
    return tables.Consignee.select(*columns, tables.Consignee.parent.code)


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
) -> tuple[Consignee, str]:
    """Create a consignee; returns it with its webhook signing secret (shown once)."""
    values: dict[str, Any] = {
        "code": check_code(code, "code"),
        "name": required_text(name, "name", NAME_MAX, one_line=True),
        "kind": _kind(kind),
        "email": check_email(email),
        "phone": _optional(phone, "phone", 40),
        "after_hours_phone": _optional(after_hours_phone, "after_hours_phone", 40),
        "webhook_url": await check_webhook_destination(webhook_url),
        "province": _optional(province, "province", 100),
    }
    parent = None
    if parent_code and parent_code.strip():
        parent_code = check_code(parent_code, "parent_code")
        parent = await consignee_by_code(parent_code, field="parent_code")
    secret = new_webhook_secret()
    async with db.transaction():
        conflict = f"a consignee with code {values['code']} exists"
        if await tables.Consignee.exists().where(tables.Consignee.code == values["code"]):
            raise Conflict(conflict)
        row = tables.Consignee(
            **values,
            parent=parent.id if parent else None,
            webhook_secret=seal_webhook_secret(secret),  # kept sealed, shown once
            active=True,
            created_at=clock.now(),
        )
        await _insert(row, conflict)
        new = {**values, "parent_code": parent.code if parent else None}
        await audit.record(actor, audit.Change("consignee", row.id, "created", new=new))
    return Consignee(id=row.id, parent_code=parent.code if parent else None, **values), secret


async def get_consignee(consignee_id: int) -> Consignee:
    row = None
    if is_valid_id(consignee_id):
        row = await _consignee_query().where(tables.Consignee.id == consignee_id).first()
    if row is None:
        raise NotFound(f"consignee {consignee_id} not found")
    return _consignee(row)


async def consignee_by_code(code: str, *, field: str = "consignee_code") -> Consignee:
    """The consignee with `code`; InvalidInput naming `field` when there is none."""
    row = await _consignee_query().where(tables.Consignee.code == code.strip()).first()
    if row is None:
        raise InvalidInput(field, f"no consignee with code {code!r}")
    return _consignee(row)


async def list_consignees(
    kind: str | None = None, limit: int = 50, offset: int = 0, *, q: str | None = None
) -> tuple[list[Consignee], int]:
    """Consignees by code; `q` finds words in the code, name or province."""
    query = _consignee_query().order_by(tables.Consignee.code)
    count = tables.Consignee.count()
    if kind:
        kind = _kind(kind)
        query = query.where(tables.Consignee.kind == kind)
        count = count.where(tables.Consignee.kind == kind)
    c = tables.Consignee
    found = _matching(q, c.code, c.name, c.province)
    if found is not None:
        query, count = query.where(found), count.where(found)
    rows = await query.limit(limit).offset(offset)
    return [_consignee(row) for row in rows], await count

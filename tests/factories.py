"""Test data built through the real use cases."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from recall import auth, masterdata
from recall.actors import SYSTEM
from recall.settings import get_settings

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


async def make_user(
    *roles: str, consignee_code: str | None = None, username: str | None = None
) -> auth.User:
    name = username or f"{'-'.join(roles)}{next(_sequence)}".replace("_", "-")
    return await auth.create_user(
        SYSTEM, name, PASSWORD, f"Test {name.title()}", list(roles), consignee_code
    )


async def token_for(*roles: str, consignee_code: str | None = None) -> str:
    user = await make_user(*roles, consignee_code=consignee_code)
    settings = get_settings()
    token, _ = await auth.login(user.username, PASSWORD, settings.secret_key, 60)
    return token


async def headers_for(*roles: str, consignee_code: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token_for(*roles, consignee_code=consignee_code)}"}


# Master data ---------------------------------------------------------------------


def gtin_with_check_digit(body: str) -> str:
    """Append the GS1 mod-10 check digit to `body` (7, 11, 12 or 13 digits)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def new_gtin() -> str:
    """A fresh valid GTIN-13 (Indonesian prefix 899), unique within the test run."""
    return gtin_with_check_digit(f"899{next(_sequence):09d}")


def new_nie() -> str:
    """A fresh BPOM registration number such as DKL2012345601A1."""
    return f"DKL{next(_sequence):010d}A1"


async def make_product(
    gtin: str | None = None,
    *,
    nie: str | None = None,
    name: str = "Paracetamol Syrup",
    strength: str = "120 mg/5 mL",
    dosage_form: str = "syrup",
) -> masterdata.Product:
    return await masterdata.create_product(
        SYSTEM, gtin or new_gtin(), nie or new_nie(), name, strength, dosage_form
    )


async def make_batch(
    gtin: str | None = None,
    *,
    batch_no: str | None = None,
    manufactured_on: date = date(2026, 1, 15),
    expires_on: date = date(2028, 1, 31),
    quantity_produced: int = 10_000,
) -> masterdata.Batch:
    """A batch of the product with `gtin` (a new product when None)."""
    if gtin is None:
        gtin = (await make_product()).gtin
    return await masterdata.create_batch(
        SYSTEM,
        gtin,
        batch_no or f"B{next(_sequence):06d}",
        manufactured_on,
        expires_on,
        quantity_produced,
    )


async def make_material_lot(
    *,
    material: str = "Propylene glycol",
    lot_no: str | None = None,
    supplier: str = "PT Kimia Farma Bahan",
) -> masterdata.MaterialLot:
    return await masterdata.create_material_lot(
        SYSTEM, material, lot_no or f"PG-{next(_sequence):05d}", supplier
    )


async def add_material(
    batch_id: int, material_lot_id: int, quantity: Decimal | int | str = "250.5"
) -> masterdata.BatchMaterial:
    return await masterdata.add_batch_material(
        SYSTEM, batch_id, material_lot_id, Decimal(str(quantity))
    )


async def make_consignee(
    code: str | None = None,
    *,
    name: str | None = None,
    kind: str = "pbf",
    parent_code: str | None = None,
    email: str | None = None,
    phone: str | None = "+62 21 555 0100",
    after_hours_phone: str | None = None,
    webhook_url: str | None = None,
    province: str | None = "DKI Jakarta",
) -> masterdata.Consignee:
    """A consignee (a PBF wholesaler unless `kind` says otherwise); the secret is dropped."""
    code = code or f"{kind.upper()}-{next(_sequence):04d}"
    consignee, _secret = await masterdata.create_consignee(
        SYSTEM,
        code,
        name or f"Test {kind} {code}",
        kind,
        parent_code=parent_code,
        email=email if email is not None else f"{code.lower()}@example.com",
        phone=phone,
        after_hours_phone=after_hours_phone,
        webhook_url=webhook_url,
        province=province,
    )
    return consignee

"""Master data the API tests create: a small catalogue and request bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recall import masterdata
from tests.factories import (
    headers_for,
    make_batch,
    make_consignee,
    make_material_lot,
    make_product,
    new_gtin,
    new_nie,
)


@dataclass
class World:
    product: masterdata.Product
    batch: masterdata.Batch
    lot: masterdata.MaterialLot
    consignee: masterdata.Consignee


async def catalogue() -> World:
    """A product with a batch, a material lot and a wholesaler."""
    product = await make_product()
    return World(
        product=product,
        batch=await make_batch(product.gtin, batch_no="SYR2401"),
        lot=await make_material_lot(material="Propylene glycol", lot_no="PG-2201"),
        consignee=await make_consignee("PBF-JKT-01", kind="pbf"),
    )


def product_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "gtin": new_gtin(),
        "nie": new_nie(),
        "name": "Ibuprofen Suspension",
        "strength": "100 mg/5 mL",
        "dosage_form": "oral suspension",
    }
    return {**body, **overrides}


def batch_body(product_gtin: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "gtin": product_gtin,
        "batch_no": "IBU2402",
        "manufactured_on": "2026-02-01",
        "expires_on": "2028-01-31",
        "quantity_produced": 24000,
    }
    return {**body, **overrides}


def lot_body(**overrides: Any) -> dict[str, Any]:
    body = {"material": "Sorbitol 70%", "lot_no": "SB-0917", "supplier": "PT Sorini Agro"}
    return {**body, **overrides}


def consignee_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "code": "APT-SBY-07",
        "name": "Apotek Sehat Surabaya",
        "kind": "pharmacy",
        "email": "apotek@example.com",
        "phone": "+62 31 555 0107",
        "after_hours_phone": "+62 812 3456 7890",
        "webhook_url": "https://apotek.example.com/hooks/recall",
        "province": "Jawa Timur",
    }
    return {**body, **overrides}


async def audit_trail(client: Any, entity: str, entity_id: int) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/audit?entity={entity}&entity_id={entity_id}", headers=await headers_for("inspector")
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items

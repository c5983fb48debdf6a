"""Master data over HTTP: products, batches, material lots, consignees, API keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import pytest_asyncio

from tests.api.masterdata_setup import (
    World,
    audit_trail,
    batch_body,
    catalogue,
    consignee_body,
    lot_body,
    product_body,
)
from tests.factories import (
    add_material,
    gtin_with_check_digit,
    headers_as,
    headers_for,
    make_batch,
    make_material_lot,
    make_product,
)

ROLES = ["cs", "qa", "qa_manager", "distributor", "inspector", "admin"]
WRITERS = {"qa", "admin"}
PRODUCT_READERS = {"cs", "qa", "qa_manager", "inspector", "admin"}
MASTER_DATA_READERS = {"qa", "qa_manager", "inspector", "admin"}


@pytest_asyncio.fixture
async def world() -> World:
    return await catalogue()


# Who may do what -----------------------------------------------------------------

Body = Callable[[World], dict[str, Any]] | None
ROUTES: list[tuple[str, str, Body, set[str]]] = [
    ("POST", "/api/products", lambda w: product_body(), WRITERS),
    ("GET", "/api/products", None, PRODUCT_READERS),
    ("GET", "/api/products/{product}", None, PRODUCT_READERS),
    ("POST", "/api/batches", lambda w: batch_body(w.product.gtin), WRITERS),
    ("GET", "/api/batches", None, PRODUCT_READERS),
    ("GET", "/api/batches/{batch}", None, PRODUCT_READERS),
    (
        "POST",
        "/api/batches/{batch}/materials",
        lambda w: {"material_lot_id": w.lot.id, "quantity": 125.5},
        WRITERS,
    ),
    ("GET", "/api/batches/{batch}/materials", None, MASTER_DATA_READERS),
    ("POST", "/api/material-lots", lambda w: lot_body(), WRITERS),
    ("GET", "/api/material-lots", None, MASTER_DATA_READERS),
    ("GET", "/api/material-lots/{lot}", None, MASTER_DATA_READERS),
    ("POST", "/api/consignees", lambda w: consignee_body(), WRITERS),
    ("GET", "/api/consignees", None, MASTER_DATA_READERS),
    ("GET", "/api/consignees/{consignee}", None, MASTER_DATA_READERS),
    ("POST", "/api/consignees/{consignee}/api-keys", None, {"admin"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
)
async def test_roles(client, world, role, method, path, body, allowed):
    url = path.format(
        product=world.product.id,
        batch=world.batch.id,
        lot=world.lot.id,
        consignee=world.consignee.id,
    )
    response = await client.request(
        method, url, json=body(world) if body else None, headers=await headers_as(role)
    )
    if role in allowed:
        assert response.status_code == (201 if method == "POST" else 200), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["status_code"] == 403


async def test_refused_write_changes_nothing(client, qa):
    response = await client.post(
        "/api/products", json=product_body(), headers=await headers_as("distributor")
    )
    assert response.status_code == 403
    listed = await client.get("/api/products", headers=qa)
    assert listed.json() == {"items": [], "total": 0}


async def test_without_token_is_401(client):
    response = await client.post("/api/products", json=product_body())
    assert response.status_code == 401


# Products ------------------------------------------------------------------------


async def test_create_product_stores_gtin_as_14_digits_and_is_audited(client, qa):
    gtin13 = gtin_with_check_digit("899100000001")
    body = product_body(gtin=gtin13, nie=" dkl2012345601a1 ", name="  Paracetamol Syrup ")
    response = await client.post("/api/products", json=body, headers=qa)
    assert response.status_code == 201, response.text
    product = response.json()
    assert product == {
        "id": product["id"],
        "gtin": "0" + gtin13,
        "nie": "DKL2012345601A1",
        "name": "Paracetamol Syrup",
        "strength": "100 mg/5 mL",
        "dosage_form": "oral suspension",
    }
    one = await client.get(f"/api/products/{product['id']}", headers=await headers_for("cs"))
    assert one.json() == product
    trail = await audit_trail(client, "product", product["id"])
    assert [entry["action"] for entry in trail] == ["created"]
    assert trail[0]["new_values"]["gtin"] == "0" + gtin13


async def test_list_products_pages(client, qa):
    for name in ("Cetirizine", "Amoxicillin", "Betamethasone"):
        await make_product(name=name)
    first = await client.get("/api/products?limit=2", headers=qa)
    assert first.status_code == 200
    assert first.json()["total"] == 3
    assert [p["name"] for p in first.json()["items"]] == ["Amoxicillin", "Betamethasone"]
    rest = await client.get("/api/products?limit=2&offset=2", headers=qa)
    assert [p["name"] for p in rest.json()["items"]] == ["Cetirizine"]


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "limit=abc"])
async def test_list_rejects_bad_paging(client, qa, query):
    response = await client.get(f"/api/products?{query}", headers=qa)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"gtin": "8991000000011"}, 422, "gtin"),  # wrong check digit
        ({"gtin": "89910000000"}, 422, "gtin"),  # 11 digits
        ({"gtin": "899100000001X"}, 422, "gtin"),
        ({"gtin": "²²²²²²²²"}, 422, "gtin"),
        ({"gtin": "\u0666" * 13}, 422, "gtin"),  # Arabic-Indic digits
        ({"gtin": ""}, 400, "gtin"),
        ({"gtin": 8991000000019}, 400, "gtin"),
        ({"gtin": None}, 400, "gtin"),
        ({"nie": "DKL20123"}, 422, "nie"),
        ({"nie": "XYZ2012345601A1"}, 422, "nie"),
        ({"nie": "DKL\uff12\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff10\uff11A1"}, 422, "nie"),
        ({"nie": "N" * 31}, 400, "nie"),
        ({"name": "   "}, 422, "name"),
        ({"name": "x" * 201}, 400, "name"),
        ({"name": "Para\x00cetamol"}, 422, "name"),
        ({"strength": ""}, 400, "strength"),
        ({"strength": 500}, 400, "strength"),
        ({"dosage_form": "d" * 101}, 400, "dosage_form"),
        ({"dosage_form": ["tablet"]}, 400, "dosage_form"),
    ],
)
async def test_create_product_rejects_bad_input(client, qa, change, status, field):
    response = await client.post("/api/products", json=product_body(**change), headers=qa)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(f"{field}: "), response.text
    listed = await client.get("/api/products", headers=qa)
    assert listed.json()["total"] == 0


@pytest.mark.parametrize("missing", ["gtin", "nie", "name", "strength", "dosage_form"])
async def test_create_product_names_a_missing_field(client, qa, missing):
    body = product_body()
    del body[missing]
    response = await client.post("/api/products", json=body, headers=qa)
    assert response.status_code == 400
    assert f"`{missing}`" in response.json()["detail"]


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"product"', b"null"])
async def test_create_product_rejects_a_body_that_is_not_an_object(client, qa, content):
    headers = {**qa, "Content-Type": "application/json"}
    response = await client.post("/api/products", content=content, headers=headers)
    assert response.status_code == 400
    assert response.json()["status_code"] == 400


async def test_duplicate_gtin_is_409_whatever_its_length(client, qa):
    gtin13 = gtin_with_check_digit("899100000002")
    first = await client.post("/api/products", json=product_body(gtin=gtin13), headers=qa)
    assert first.status_code == 201
    again = await client.post("/api/products", json=product_body(gtin="0" + gtin13), headers=qa)
    assert again.status_code == 409
    assert gtin13 in again.json()["detail"]


@pytest.mark.parametrize("path", ["/api/products/999999", "/api/products/99999999999"])
async def test_unknown_product_is_404(client, qa, path):
    response = await client.get(path, headers=qa)
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


# Batches -------------------------------------------------------------------------


async def test_create_batch_and_read_it_back(client, qa):
    product = await make_product(name="Amoxicillin Dry Syrup")
    body = batch_body(product.gtin[1:], batch_no=" AMX2403 ")  # GTIN-13 form is accepted
    response = await client.post("/api/batches", json=body, headers=qa)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch == {
        "id": batch["id"],
        "batch_no": "AMX2403",
        "gtin": product.gtin,
        "product_id": product.id,
        "product_name": "Amoxicillin Dry Syrup",
        "manufactured_on": "2026-02-01",
        "expires_on": "2028-01-31",
        "quantity_produced": 24000,
        "status": "released",
        "held_at": None,
        "status_reason": None,
    }
    cs = await headers_for("cs")
    assert (await client.get(f"/api/batches/{batch['id']}", headers=cs)).json() == batch
    trail = await audit_trail(client, "batch", batch["id"])
    assert [entry["action"] for entry in trail] == ["created"]


async def test_list_batches_filters_by_gtin(client, qa):
    syrup, tablet = await make_product(), await make_product()
    await make_batch(syrup.gtin, batch_no="S1")
    await make_batch(syrup.gtin, batch_no="S2")
    await make_batch(tablet.gtin, batch_no="T1")
    everything = await client.get("/api/batches", headers=qa)
    assert everything.json()["total"] == 3
    for gtin in (syrup.gtin, syrup.gtin[1:]):
        only = await client.get("/api/batches", params={"gtin": gtin}, headers=qa)
        assert only.json()["total"] == 2
        assert {b["batch_no"] for b in only.json()["items"]} == {"S1", "S2"}


async def test_list_batches_rejects_a_malformed_gtin(client, qa):
    response = await client.get("/api/batches?gtin=12345", headers=qa)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("gtin: ")


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"gtin": "8991000000011"}, 422, "gtin"),  # wrong check digit
        ({"gtin": gtin_with_check_digit("899199999999")}, 422, "gtin"),  # no such product
        ({"gtin": 123}, 400, "gtin"),
        ({"batch_no": "AB 12"}, 422, "batch_no"),
        ({"batch_no": "LOTÄ1"}, 422, "batch_no"),
        ({"batch_no": "B" * 21}, 400, "batch_no"),
        ({"batch_no": ""}, 400, "batch_no"),
        ({"manufactured_on": "2026-02-30"}, 400, "manufactured_on"),
        ({"manufactured_on": "01/02/2026"}, 400, "manufactured_on"),
        ({"manufactured_on": 20260201}, 400, "manufactured_on"),
        ({"expires_on": "2026-02-01"}, 422, "expires_on"),  # same day as manufacture
        ({"expires_on": "2025-12-31"}, 422, "expires_on"),
        ({"expires_on": None}, 400, "expires_on"),
        ({"quantity_produced": 0}, 400, "quantity_produced"),
        ({"quantity_produced": -5}, 400, "quantity_produced"),
        ({"quantity_produced": 2**31}, 400, "quantity_produced"),
        ({"quantity_produced": 12.5}, 400, "quantity_produced"),
        ({"quantity_produced": True}, 400, "quantity_produced"),
    ],
)
async def test_create_batch_rejects_bad_input(client, qa, change, status, field):
    product = await make_product()
    response = await client.post(
        "/api/batches", json=batch_body(product.gtin, **change), headers=qa
    )
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(f"{field}: "), response.text


async def test_duplicate_batch_is_409_but_other_product_may_reuse_the_number(client, qa):
    first, second = await make_product(), await make_product()
    await make_batch(first.gtin, batch_no="X100")
    again = await client.post(
        "/api/batches", json=batch_body(first.gtin, batch_no="X100"), headers=qa
    )
    assert again.status_code == 409
    other = await client.post(
        "/api/batches", json=batch_body(second.gtin, batch_no="X100"), headers=qa
    )
    assert other.status_code == 201


async def test_unknown_batch_is_404(client, qa):
    assert (await client.get("/api/batches/424242", headers=qa)).status_code == 404


# Material lots and what went into a batch ----------------------------------------


async def test_create_material_lot_and_read_it_back(client, qa):
    response = await client.post("/api/material-lots", json=lot_body(), headers=qa)
    assert response.status_code == 201, response.text
    lot = response.json()
    assert lot == {"id": lot["id"], **lot_body()}
    assert (await client.get(f"/api/material-lots/{lot['id']}", headers=qa)).json() == lot
    listed = await client.get("/api/material-lots", headers=qa)
    assert listed.json() == {"items": [lot], "total": 1}
    trail = await audit_trail(client, "material_lot", lot["id"])
    assert [entry["action"] for entry in trail] == ["created"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"material": ""}, 400, "material"),
        ({"material": "   "}, 422, "material"),
        ({"material": "m" * 201}, 400, "material"),
        ({"lot_no": "L" * 61}, 400, "lot_no"),
        ({"lot_no": 17}, 400, "lot_no"),
        ({"supplier": "\t"}, 422, "supplier"),
        ({"supplier": None}, 400, "supplier"),
    ],
)
async def test_create_material_lot_rejects_bad_input(client, qa, change, status, field):
    response = await client.post("/api/material-lots", json=lot_body(**change), headers=qa)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(f"{field}: "), response.text


async def test_duplicate_material_lot_is_409(client, qa):
    await make_material_lot(material="Sorbitol 70%", lot_no="SB-0917")
    again = await client.post("/api/material-lots", json=lot_body(), headers=qa)
    assert again.status_code == 409
    other = await client.post("/api/material-lots", json=lot_body(material="Glycerol"), headers=qa)
    assert other.status_code == 201


async def test_unknown_material_lot_is_404(client, qa):
    assert (await client.get("/api/material-lots/424242", headers=qa)).status_code == 404


async def test_add_materials_to_a_batch_and_list_them(client, qa, world):
    glycerol = await make_material_lot(material="Glycerol", lot_no="GL-1", supplier="PT Gliserin")
    url = f"/api/batches/{world.batch.id}/materials"
    first = await client.post(
        url, json={"material_lot_id": world.lot.id, "quantity": 125.5}, headers=qa
    )
    assert first.status_code == 201, first.text
    assert first.json() == {
        "id": first.json()["id"],
        "batch_id": world.batch.id,
        "batch_no": "SYR2401",
        "material_lot_id": world.lot.id,
        "material": "Propylene glycol",
        "lot_no": "PG-2201",
        "supplier": world.lot.supplier,
        "quantity": 125.5,
    }
    second = await client.post(
        url, json={"material_lot_id": glycerol.id, "quantity": "0.125"}, headers=qa
    )
    assert second.status_code == 201, second.text
    listed = await client.get(url, headers=await headers_for("inspector"))
    assert listed.status_code == 200
    assert listed.json()["total"] == 2
    assert [(m["lot_no"], m["quantity"]) for m in listed.json()["items"]] == [
        ("PG-2201", 125.5),
        ("GL-1", 0.125),
    ]
    trail = await audit_trail(client, "batch", world.batch.id)
    assert [entry["action"] for entry in trail] == ["material_added", "material_added", "created"]


@pytest.mark.parametrize(
    ("quantity", "status"),
    [
        (0, 422),
        (-1.5, 422),
        ("0.0001", 422),  # more than three decimal places
        ("NaN", 422),
        ("Infinity", 422),
        ("1e20", 422),
        ("lots", 400),
        (True, 400),
        (None, 400),
    ],
)
async def test_add_batch_material_rejects_bad_quantity(client, qa, world, quantity, status):
    response = await client.post(
        f"/api/batches/{world.batch.id}/materials",
        json={"material_lot_id": world.lot.id, "quantity": quantity},
        headers=qa,
    )
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith("quantity: "), response.text


@pytest.mark.parametrize(("lot_id", "status"), [(424242, 422), (0, 400), ("one", 400)])
async def test_add_batch_material_rejects_a_bad_lot(client, qa, world, lot_id, status):
    response = await client.post(
        f"/api/batches/{world.batch.id}/materials",
        json={"material_lot_id": lot_id, "quantity": 1},
        headers=qa,
    )
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith("material_lot_id: "), response.text


async def test_batch_materials_of_an_unknown_batch_are_404(client, qa, world):
    body = {"material_lot_id": world.lot.id, "quantity": 1}
    posted = await client.post("/api/batches/424242/materials", json=body, headers=qa)
    assert posted.status_code == 404
    listed = await client.get("/api/batches/424242/materials", headers=qa)
    assert listed.status_code == 404


async def test_the_same_lot_twice_in_a_batch_is_409(client, qa, world):
    await add_material(world.batch.id, world.lot.id)
    response = await client.post(
        f"/api/batches/{world.batch.id}/materials",
        json={"material_lot_id": world.lot.id, "quantity": 3},
        headers=qa,
    )
    assert response.status_code == 409


async def test_openapi_documents_the_master_data_operations(client):
    schema = (await client.get("/schema/openapi.json")).json()
    operations = {
        operation["operationId"]
        for path in schema["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert {
        "CreateProduct", "ListProducts", "GetProduct", "CreateBatch", "ListBatches", "GetBatch",
        "AddBatchMaterial", "ListBatchMaterials", "CreateMaterialLot", "ListMaterialLots",
        "GetMaterialLot", "CreateConsignee", "ListConsignees", "GetConsignee",
        "CreateConsigneeApiKey",
    } <= operations  # fmt: skip
    components = schema["components"]["schemas"]
    assert "webhook_secret" in components["ConsigneeCreated"]["properties"]
    assert "webhook_secret" not in components["ConsigneeRead"]["properties"]

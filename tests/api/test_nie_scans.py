"""BPOM 2D barcodes carrying the NIE in AI (90) and no GTIN, at intake and in returns."""

from __future__ import annotations

from recall import masterdata
from tests.factories import complaint_body, headers_for, make_batch, make_complaint, make_product
from tests.reads import my_notices

GS = "\x1d"


async def nie_scan(batch: masterdata.Batch, serial: str) -> str:
    nie = (await masterdata.get_product(batch.product_id)).nie
    return f"(90){nie}(10){batch.batch_no}(17){batch.expires_on:%y%m%d}(21){serial}"


async def test_nie_scan_fills_product_batch_expiry_and_serial(client):
    product = await make_product(nie="DBL2107712337A1")
    batch = await make_batch(product.gtin, batch_no="NIE2301")
    scan = f"90DBL2107712337A1{GS}10NIE2301{GS}17280131{GS}21SN-90"
    body = await make_complaint(client, await headers_for("cs"), barcode=scan)
    assert (body["gtin"], body["product_id"]) == (product.gtin, product.id)
    assert (body["batch_id"], body["batch_no"], body["batch_known"]) == (batch.id, "NIE2301", True)
    assert (body["expires_on"], body["serial"]) == ("2028-01-31", "SN-90")


async def test_nie_scan_and_the_typed_gtin_of_its_product_agree(client):
    batch = await make_batch(batch_no="NIE2302")
    response = await client.post(
        "/api/complaints",
        json=complaint_body(barcode=await nie_scan(batch, "P1"), gtin=batch.gtin),
        headers=await headers_for("cs"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["batch_id"] == batch.id


async def test_unknown_nie_is_422_naming_barcode(client):
    response = await client.post(
        "/api/complaints",
        json=complaint_body(barcode="(90)DKL9999999999Z9(10)B1(17)281231"),
        headers=await headers_for("cs"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("barcode: ")


async def test_nie_scan_of_another_product_than_the_typed_gtin_is_422_naming_gtin(client):
    batch = await make_batch(batch_no="NIE2303")
    other = await make_product()
    response = await client.post(
        "/api/complaints",
        json=complaint_body(barcode=await nie_scan(batch, "X1"), gtin=other.gtin),
        headers=await headers_for("cs"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("gtin: ")


async def test_nie_scan_without_batch_is_422_naming_barcode(client):
    product = await make_product()
    response = await client.post(
        "/api/complaints",
        json=complaint_body(barcode=f"(90){product.nie}(17)281231(21)S1"),
        headers=await headers_for("cs"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("barcode: ")


async def test_returns_scanned_by_nie_count_against_the_notice_batch(client, world):
    notice_id = (await my_notices(client, world["pbf_headers"]))["items"][0]["id"]
    path = f"/api/notices/{notice_id}/returns"
    scans = [await nie_scan(world["batch"], "N1"), await nie_scan(world["batch"], "N1")]
    response = await client.post(path, json={"scans": scans}, headers=world["pbf_headers"])
    assert response.status_code == 200, response.text
    assert response.json()["lines"][0]["quantity_returned"] == 1
    assert response.json()["duplicates"] == [{"barcode": scans[1], "serial": "N1"}]


async def test_returns_scan_of_an_unknown_nie_is_422_naming_the_scan(client, world):
    notice_id = (await my_notices(client, world["pbf_headers"]))["items"][0]["id"]
    response = await client.post(
        f"/api/notices/{notice_id}/returns",
        json={"scans": [await nie_scan(world["batch"], "U1"), "(90)DKL9999999999Z9(10)B1"]},
        headers=world["pbf_headers"],
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("scans[1]: ")


async def test_nie_of_several_pack_sizes_finds_the_pack_that_made_the_batch(client):
    small = await make_product(nie="DKL2211111111A1")
    large = await make_product(nie="DKL2211111111A1")
    batch = await make_batch(large.gtin, batch_no="NIE2304")
    await make_batch(small.gtin, batch_no="NIE2399")
    body = await make_complaint(
        client, await headers_for("cs"), barcode="(90)DKL2211111111A1(10)NIE2304(17)280131"
    )
    assert (body["gtin"], body["batch_id"]) == (large.gtin, batch.id)


async def test_nie_of_several_pack_sizes_with_a_batch_none_made_is_422_naming_barcode(client):
    await make_product(nie="DKL2222222222A1")
    await make_product(nie="DKL2222222222A1")
    response = await client.post(
        "/api/complaints",
        json=complaint_body(barcode="(90)DKL2222222222A1(10)UNKNOWN1(17)280131"),
        headers=await headers_for("cs"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("barcode: ")
    assert "GTIN" in response.json()["detail"]

"""Traceability over HTTP: who has a batch, or every batch made with a material lot, per tier."""

from __future__ import annotations

import itertools

import pytest

from recall import masterdata
from tests.factories import (
    add_material,
    headers_for,
    make_consignee,
    make_material_lot,
    recent_batch,
    ship,
)


def lines(body: dict) -> list[tuple[int, str, str, int]]:
    return [(c["tier"], c["code"], c["batch_no"], c["quantity"]) for c in body["consignees"]]


async def test_trace_follows_every_tier_and_sums_quantities(client):
    batch = await recent_batch()
    pbf_a = await make_consignee("A-PBF")
    pbf_b = await make_consignee("B-PBF")
    hospital = await make_consignee("C-HOSP", kind="hospital")
    pharmacy = await make_consignee("D-APT", kind="pharmacy")
    await ship(batch, pbf_a, 600)
    await ship(batch, pbf_a, 400)
    await ship(batch, hospital, 100, sender=pbf_a)
    await ship(batch, pbf_b, 300, sender=pbf_a)
    await ship(batch, pharmacy, 50, sender=pbf_b)
    await ship(batch, pharmacy, 50, sender=pbf_b)

    response = await client.get(f"/api/batches/{batch.id}/trace", headers=await headers_for("qa"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["batches"] == [
        {
            "id": batch.id,
            "batch_no": batch.batch_no,
            "gtin": batch.gtin,
            "product_name": batch.product_name,
            "expires_on": batch.expires_on.isoformat(),
            "status": "released",
        }
    ]
    assert lines(body) == [
        (1, "A-PBF", batch.batch_no, 1000),
        (2, "B-PBF", batch.batch_no, 300),
        (2, "C-HOSP", batch.batch_no, 100),
        (3, "D-APT", batch.batch_no, 100),
    ]
    first = body["consignees"][0]
    assert first["name"] == pbf_a.name
    assert first["kind"] == "pbf"
    assert first["batch_id"] == batch.id
    # Only units that left the plant: the tier-1 line.
    assert body["total_quantity"] == 1000


async def test_material_lot_trace_covers_every_batch_that_used_it(client):
    lot = await make_material_lot()
    other_lot = await make_material_lot()
    syrup_1, syrup_2, untouched = await recent_batch(), await recent_batch(), await recent_batch()
    unshipped = await recent_batch()
    for batch in (syrup_1, syrup_2, unshipped):
        await add_material(batch.id, lot.id)
    await add_material(untouched.id, other_lot.id)
    pbf = await make_consignee("PBF-1")
    pharmacy = await make_consignee("PHARM-1", kind="pharmacy")
    await ship(syrup_1, pbf, 200)
    await ship(syrup_2, pbf, 300)
    await ship(syrup_2, pharmacy, 20, sender=pbf)
    await ship(untouched, pbf, 999)

    response = await client.get(
        f"/api/material-lots/{lot.id}/trace", headers=await headers_for("inspector")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    expected_batches = sorted([syrup_1, syrup_2, unshipped], key=lambda b: b.batch_no)
    assert [b["id"] for b in body["batches"]] == [b.id for b in expected_batches]
    assert lines(body) == sorted(
        [
            (1, "PBF-1", syrup_1.batch_no, 200),
            (1, "PBF-1", syrup_2.batch_no, 300),
            (2, "PHARM-1", syrup_2.batch_no, 20),
        ]
    )
    assert body["total_quantity"] == 500


async def test_cycles_end_and_count_each_shipment_once(client):
    batch = await recent_batch()
    pbf_a, pbf_b = await make_consignee("CYC-A"), await make_consignee("CYC-B")
    await ship(batch, pbf_a, 100)
    await ship(batch, pbf_b, 50, sender=pbf_a)
    await ship(batch, pbf_a, 10, sender=pbf_b)  # returned to A: a cycle A -> B -> A
    await ship(batch, pbf_b, 5, sender=pbf_a)

    response = await client.get(f"/api/batches/{batch.id}/trace", headers=await headers_for("qa"))
    assert response.status_code == 200
    assert lines(response.json()) == [
        (1, "CYC-A", batch.batch_no, 100),
        (2, "CYC-B", batch.batch_no, 55),
        (3, "CYC-A", batch.batch_no, 10),
    ]
    assert response.json()["total_quantity"] == 100


async def test_trace_stops_at_the_tier_limit(client):
    batch = await recent_batch()
    chain = [await make_consignee(f"CHAIN-{n:02d}") for n in range(masterdata.MAX_TIERS + 2)]
    await ship(batch, chain[0], 1000)
    for sender, receiver in itertools.pairwise(chain):
        await ship(batch, receiver, 10, sender=sender)

    response = await client.get(f"/api/batches/{batch.id}/trace", headers=await headers_for("qa"))
    tiers = [c["tier"] for c in response.json()["consignees"]]
    assert tiers == list(range(1, masterdata.MAX_TIERS + 1))


async def test_batch_without_shipments_traces_to_nobody(client):
    batch = await recent_batch()
    response = await client.get(f"/api/batches/{batch.id}/trace", headers=await headers_for("qa"))
    assert response.status_code == 200
    assert response.json()["consignees"] == []
    assert response.json()["total_quantity"] == 0
    assert [b["id"] for b in response.json()["batches"]] == [batch.id]


@pytest.mark.parametrize("path", ["/api/batches/{}/trace", "/api/material-lots/{}/trace"])
@pytest.mark.parametrize("unknown", [987654, 2**40])
async def test_unknown_ids_are_404(client, path, unknown):
    response = await client.get(path.format(unknown), headers=await headers_for("qa"))
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("qa", 200),
        ("qa_manager", 200),
        ("inspector", 200),
        ("admin", 200),
        ("cs", 403),
        ("distributor", 403),
    ],
)
async def test_who_may_trace(client, role, status):
    batch = await recent_batch()
    lot = await make_material_lot()
    pbf = await make_consignee()
    headers = await headers_for(role, consignee_code=pbf.code if role == "distributor" else None)
    for path in (f"/api/batches/{batch.id}/trace", f"/api/material-lots/{lot.id}/trace"):
        assert (await client.get(path, headers=headers)).status_code == status

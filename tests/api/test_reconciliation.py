"""Reconciliation per batch and per tier, checked against figures computed by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recall import recalls
from recall.clock import today
from tests.api.test_consignee_notices import approved_recall, my_notices, recall_read, ship
from tests.factories import headers_for, make_batch, make_consignee, make_product

COLUMNS = (
    "quantity_produced",
    "quantity_distributed",
    "quantity_on_hand",
    "quantity_returned",
    "quantity_destroyed",
    "quantity_unaccounted",
)


def figures(*values: int) -> dict[str, int]:
    return dict(zip(COLUMNS, values, strict=True))


async def recent_batch(name: str, produced: int):
    product = await make_product(name=name)
    return await make_batch(
        product.gtin,
        manufactured_on=today() - timedelta(days=90),
        expires_on=today() + timedelta(days=700),
        quantity_produced=produced,
    )


@pytest.fixture
async def two_tiers(client):
    """Two batches shipped to two PBFs (tier 1), which passed some on (tier 2); approved.

    B1 (5000 made): PBF-A 1000, PBF-B 500; PBF-A -> pharmacy APT-C 200, PBF-B -> hospital
    RS-D 100. B2 (3000 made): PBF-A 300; PBF-A -> APT-C 50.
    """
    b1 = await recent_batch("Paracetamol Syrup", 5000)
    b2 = await recent_batch("Ibuprofen Suspension", 3000)
    pbf_a = await make_consignee("PBF-A")
    pbf_b = await make_consignee("PBF-B")
    apt_c = await make_consignee("APT-C", kind="pharmacy")
    rs_d = await make_consignee("RS-D", kind="hospital")
    await ship(b1, pbf_a, 1000)
    await ship(b1, pbf_b, 500)
    await ship(b2, pbf_a, 300)
    await ship(b1, apt_c, 200, sender=pbf_a)
    await ship(b2, apt_c, 50, sender=pbf_a)
    await ship(b1, rs_d, 100, sender=pbf_b)
    recall = await approved_recall(client, b1, batch_ids=[b1.id, b2.id])
    headers = {
        code: await headers_for("distributor", consignee_code=code)
        for code in ("PBF-A", "PBF-B", "APT-C", "RS-D")
    }
    notices = {code: (await my_notices(client, h))["items"][0]["id"] for code, h in headers.items()}
    return {"b1": b1, "b2": b2, "recall": recall, "headers": headers, "notices": notices}


async def report(client, world, code: str, *, stock=None, returns=None) -> None:
    notice_id, headers = world["notices"][code], world["headers"][code]
    if stock:
        lines = [
            {"batch_no": world[b].batch_no, "quantity_on_hand": n, "quarantined": n}
            for b, n in stock.items()
        ]
        response = await client.post(
            f"/api/notices/{notice_id}/stock", json={"lines": lines}, headers=headers
        )
        assert response.status_code == 200, response.text
    if returns:
        lines = [{"batch_no": world[b].batch_no, "quantity": n} for b, n in returns.items()]
        response = await client.post(
            f"/api/notices/{notice_id}/returns", json={"lines": lines}, headers=headers
        )
        assert response.status_code == 200, response.text


async def destroy(client, world, quantity: int, batch: str = "b1", **extra):
    return await client.post(
        f"/api/recalls/{world['recall']['id']}/destructions",
        json={
            "batch_no": world[batch].batch_no,
            "quantity": quantity,
            "method": "Incineration",
            "place": "PT Wastec, Cileungsi",
            "witness": "Siti Rahma (QA)",
            "destroyed_on": today().isoformat(),
            **extra,
        },
        headers=await headers_for("qa"),
    )


async def reconciliation(client, recall_id, role: str = "qa") -> dict:
    response = await client.get(
        f"/api/recalls/{recall_id}/reconciliation", headers=await headers_for(role)
    )
    assert response.status_code == 200, response.text
    return response.json()


def columns(line: dict) -> dict[str, int]:
    return {name: line[name] for name in COLUMNS}


async def report_everything(client, world) -> None:
    """The reports behind the hand-computed figures below."""
    await report(
        client, world, "PBF-A", stock={"b1": 600, "b2": 250}, returns={"b1": 150, "b2": 20}
    )
    await report(client, world, "PBF-B", stock={"b1": 300}, returns={"b1": 100})
    await report(client, world, "APT-C", stock={"b1": 120}, returns={"b1": 30})
    # RS-D reports nothing: what it received stays unaccounted at tier 2.
    assert (await destroy(client, world, 50, consignee_code="PBF-B")).status_code == 201
    # Returned stock destroyed at the plant is already counted as returned.
    assert (await destroy(client, world, 100)).status_code == 201


async def test_figures_match_the_hand_computed_ones(client, two_tiers):
    world = two_tiers
    await report_everything(client, world)
    found = await reconciliation(client, world["recall"]["id"])

    b1, b2 = world["b1"], world["b2"]
    # Tier 1 = what left the plant. B1: 1000 + 500 out; on hand 600 + 300; returned
    # 150 + 100; destroyed 50 at PBF-B; unaccounted 1500 - 900 - 250 - 50 = 300.
    # B2: 300 out; on hand 250; returned 20; unaccounted 30.
    by_batch = {line["batch_no"]: columns(line) for line in found["batches"]}
    assert by_batch == {
        b1.batch_no: figures(5000, 1500, 900, 250, 50, 300),
        b2.batch_no: figures(3000, 300, 250, 20, 0, 30),
    }
    assert columns(found["totals"]) == figures(8000, 1800, 1150, 270, 50, 330)

    # Tier 2 = what PBFs passed on. B1: 200 + 100 received; on hand 120 (RS-D silent);
    # returned 30; unaccounted 150. B2: 50 received, nothing reported.
    assert [tier["tier"] for tier in found["tiers"]] == [1, 2]
    tier1, tier2 = found["tiers"]
    assert {line["batch_no"]: columns(line) for line in tier1["batches"]} == by_batch
    assert columns(tier1["totals"]) == columns(found["totals"])
    assert {line["batch_no"]: columns(line) for line in tier2["batches"]} == {
        b1.batch_no: figures(5000, 300, 120, 30, 0, 150),
        b2.batch_no: figures(3000, 50, 0, 0, 0, 50),
    }
    assert columns(tier2["totals"]) == figures(8000, 350, 120, 30, 0, 200)

    # The recall's progress counts the same tier-1 figures, destruction included.
    progress = await recall_read(client, world["recall"]["id"])
    assert progress["quantity_distributed"] == 1800
    assert progress["quantity_destroyed"] == 50
    assert progress["quantity_unaccounted"] == 330

    # The domain function the PDF report uses gives the same figures.
    domain = await recalls.reconcile(world["recall"]["id"])
    assert domain.totals.quantity_unaccounted == 330
    assert [t.totals.quantity_distributed for t in domain.tiers] == [1800, 350]


async def test_batch_lines_are_in_batch_number_order_with_product(client, two_tiers):
    found = await reconciliation(client, two_tiers["recall"]["id"], role="inspector")
    expected = sorted(
        [(b.batch_no, b.gtin, b.product_name) for b in (two_tiers["b1"], two_tiers["b2"])]
    )
    assert [(x["batch_no"], x["gtin"], x["product_name"]) for x in found["batches"]] == expected
    # Nothing reported yet: everything that left the plant is unaccounted.
    assert columns(found["totals"]) == figures(8000, 1800, 0, 0, 0, 1800)


async def test_over_reporting_shows_a_negative_unaccounted(client, two_tiers):
    world = two_tiers
    await report(client, world, "PBF-A", stock={"b2": 280}, returns={"b2": 40})
    found = await reconciliation(client, world["recall"]["id"])
    line = next(x for x in found["batches"] if x["batch_no"] == world["b2"].batch_no)
    assert line["quantity_unaccounted"] == 300 - 280 - 40 == -20


async def test_a_batch_never_shipped_shows_zeros_and_no_tier(client):
    shipped = await recent_batch("Shipped Syrup", 1000)
    kept = await recent_batch("Kept Syrup", 700)
    await ship(shipped, await make_consignee("PBF-Z"), 400)
    recall = await approved_recall(client, shipped, batch_ids=[shipped.id, kept.id])
    found = await reconciliation(client, recall["id"])
    lines = {x["batch_no"]: columns(x) for x in found["batches"]}
    assert lines[kept.batch_no] == figures(700, 0, 0, 0, 0, 0)
    assert lines[shipped.batch_no] == figures(1000, 400, 0, 0, 0, 400)
    assert [tier["tier"] for tier in found["tiers"]] == [1]
    assert [x["batch_no"] for x in found["tiers"][0]["batches"]] == [shipped.batch_no]


async def test_who_may_read_and_unknown_recall(client, two_tiers):
    path = f"/api/recalls/{two_tiers['recall']['id']}/reconciliation"
    distributor = two_tiers["headers"]["PBF-A"]
    assert (await client.get(path, headers=distributor)).status_code == 403
    assert (await client.get(path, headers=await headers_for("cs"))).status_code == 403
    assert (await client.get(path)).status_code == 401
    for unknown in (999_999, 2**40):
        response = await client.get(
            f"/api/recalls/{unknown}/reconciliation", headers=await headers_for("qa")
        )
        assert response.status_code == 404, response.text

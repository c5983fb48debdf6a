"""Reconciliation per batch and per tier, checked against figures computed by hand."""

from __future__ import annotations

from recall import recalls
from tests.factories import (
    approved_recall,
    headers_for,
    make_consignee,
    recent_batch,
    report,
    report_everything,
    ship,
)
from tests.reads import recall_read, reconciliation

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


def columns(line: dict) -> dict[str, int]:
    return {name: line[name] for name in COLUMNS}


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
    shipped = await recent_batch(name="Shipped Syrup", quantity_produced=1000)
    kept = await recent_batch(name="Kept Syrup", quantity_produced=700)
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

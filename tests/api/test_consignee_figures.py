"""A consignee cannot report more than it received (finding 4 of the trust review).

The review reported stock on hand 2,147,483,647 and returns 2,147,483,647 on a notice that
received 2,700: both were accepted and the recall's unaccounted quantity went negative.
"""

from __future__ import annotations

import asyncio

import pytest

from recall import db, notices
from recall.clock import today
from tests.factories import (
    approved_recall,
    headers_for,
    make_consignee,
    make_user,
    recent_batch,
    scan,
    ship,
)
from tests.pages.helpers import csrf_token, sign_in
from tests.reads import recall_read, trail

HUGE = 2_147_483_647
RECEIVED = 2_700


@pytest.fixture
async def received(client):
    """A PBF that received 2,700 units of a recalled batch."""
    batch = await recent_batch()
    pbf = await make_consignee("PBF-FIG")
    await ship(batch, pbf, RECEIVED)
    recall = await approved_recall(client, batch)
    headers = await headers_for("distributor", consignee_code=pbf.code)
    (notice,) = (await client.get("/api/notices", headers=headers)).json()["items"]
    return {"batch": batch, "recall": recall, "headers": headers, "notice": notice["id"]}


async def post(client, world, what: str, body: dict):
    return await client.post(
        f"/api/notices/{world['notice']}/{what}", json=body, headers=world["headers"]
    )


async def stored_line(world) -> dict:
    (row,) = await db.fetch(
        "SELECT quantity_on_hand, quantity_quarantined, quantity_returned FROM notice_line "
        "WHERE notice = {}",
        world["notice"],
    )
    return dict(row)


async def test_the_reviews_figures_are_refused_and_nothing_is_stored(client, received):
    world, batch_no = received, received["batch"].batch_no
    stock = await post(
        client,
        world,
        "stock",
        {"lines": [{"batch_no": batch_no, "quantity_on_hand": HUGE, "quarantined": 0}]},
    )
    assert stock.status_code == 422, stock.text
    assert "lines[0].quantity_on_hand" in stock.json()["detail"]
    returns = await post(
        client, world, "returns", {"lines": [{"batch_no": batch_no, "quantity": HUGE}]}
    )
    assert returns.status_code == 422, returns.text
    assert "lines[0].quantity" in returns.json()["detail"]
    assert await stored_line(world) == {
        "quantity_on_hand": None,
        "quantity_quarantined": None,
        "quantity_returned": 0,
    }
    assert await trail(client, world["notice"]) == []
    progress = await recall_read(client, world["recall"]["id"])
    assert progress["quantity_unaccounted"] == RECEIVED
    assert progress["responded"] == 0


async def test_on_hand_up_to_what_was_received_is_accepted(client, received):
    world, batch_no = received, received["batch"].batch_no
    over = {"batch_no": batch_no, "quantity_on_hand": RECEIVED + 1, "quarantined": 0}
    assert (await post(client, world, "stock", {"lines": [over]})).status_code == 422
    exact = {"batch_no": batch_no, "quantity_on_hand": RECEIVED, "quarantined": RECEIVED}
    response = await post(client, world, "stock", {"lines": [exact]})
    assert response.status_code == 200, response.text
    assert (await recall_read(client, world["recall"]["id"]))["quantity_unaccounted"] == 0


async def test_returns_add_up_over_several_posts_and_destructions_on_site(client, received):
    world, batch_no = received, received["batch"].batch_no

    def returning(quantity: int) -> dict:
        return {"lines": [{"batch_no": batch_no, "quantity": quantity}]}

    assert (await post(client, world, "returns", returning(2_000))).status_code == 200
    destroyed = await client.post(
        f"/api/recalls/{world['recall']['id']}/destructions",
        json={
            "batch_no": batch_no,
            "quantity": 500,
            "method": "Incineration",
            "place": "On site",
            "witness": "Siti Rahma (QA)",
            "destroyed_on": today().isoformat(),
            "consignee_code": "PBF-FIG",
        },
        headers=await headers_for("qa"),
    )
    assert destroyed.status_code == 201, destroyed.text
    # 2,000 returned and 500 destroyed on site: 200 of the 2,700 remain.
    over = await post(client, world, "returns", returning(201))
    assert over.status_code == 422, over.text
    assert "lines[0].quantity" in over.json()["detail"]
    assert (await stored_line(world))["quantity_returned"] == 2_000
    assert (await post(client, world, "returns", returning(200))).status_code == 200
    assert (await post(client, world, "returns", returning(1))).status_code == 422
    assert (await stored_line(world))["quantity_returned"] == 2_200
    assert (await recall_read(client, world["recall"]["id"]))["quantity_unaccounted"] == 0


async def test_scans_count_units_per_batch_and_the_refused_scan_is_named(client):
    batch = await recent_batch()
    pbf = await make_consignee("PBF-SCAN")
    await ship(batch, pbf, 2)
    await approved_recall(client, batch)
    headers = await headers_for("distributor", consignee_code=pbf.code)
    (notice,) = (await client.get("/api/notices", headers=headers)).json()["items"]
    scans = [scan(batch, f"SN{n}") for n in range(3)]
    response = await client.post(
        f"/api/notices/{notice['id']}/returns", json={"scans": scans}, headers=headers
    )
    assert response.status_code == 422, response.text
    assert "scans[2]" in response.json()["detail"]
    stored = await db.fetch("SELECT id FROM return_scan WHERE notice = {}", notice["id"])
    assert stored == []
    # A repeated serial is not a unit: two packs and one repeat fit in two received.
    fits = [scans[0], scans[1], scans[0]]
    response = await client.post(
        f"/api/notices/{notice['id']}/returns", json={"scans": fits}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["lines"][0]["quantity_returned"] == 2
    more = await client.post(
        f"/api/notices/{notice['id']}/returns", json={"scans": [scans[2]]}, headers=headers
    )
    assert more.status_code == 422, more.text
    assert "scans[0]" in more.json()["detail"]


async def test_two_clerks_at_once_cannot_together_return_more_than_received(client, received):
    world, batch_no = received, received["batch"].batch_no
    body = {"lines": [{"batch_no": batch_no, "quantity": 1_500}]}
    responses = await asyncio.gather(*[post(client, world, "returns", body) for _ in range(2)])
    assert sorted(response.status_code for response in responses) == [200, 422], [
        response.text for response in responses
    ]
    assert (await stored_line(world))["quantity_returned"] == 1_500


async def test_a_return_and_an_on_site_destruction_at_once_cannot_exceed(client, received):
    world, batch_no = received, received["batch"].batch_no
    destruction = client.post(
        f"/api/recalls/{world['recall']['id']}/destructions",
        json={
            "batch_no": batch_no,
            "quantity": 1_500,
            "method": "Incineration",
            "place": "On site",
            "witness": "Siti Rahma (QA)",
            "destroyed_on": today().isoformat(),
            "consignee_code": "PBF-FIG",
        },
        headers=await headers_for("qa"),
    )
    returns = post(client, world, "returns", {"lines": [{"batch_no": batch_no, "quantity": 1_500}]})
    responses = await asyncio.gather(destruction, returns)
    codes = sorted(response.status_code for response in responses)
    assert codes in ([200, 422], [201, 422]), [response.text for response in responses]
    progress = await recall_read(client, world["recall"]["id"])
    assert progress["quantity_returned"] + progress["quantity_destroyed"] == 1_500


async def test_the_portal_and_the_distributor_page_refuse_the_same(client, received):
    world, batch_no = received, received["batch"].batch_no
    token = await notices.portal_token(world["notice"])
    data = {"lines[0].batch_no": batch_no, "lines[0].quantity": str(HUGE)}
    portal = await client.post(f"/portal/notices/{token}/returns", data=data)
    assert portal.status_code == 422, portal.text[:300]
    assert "melebihi jumlah yang diterima" in portal.text
    stock = {"lines[0].batch_no": batch_no, "lines[0].quantity_on_hand": str(RECEIVED + 1),
             "lines[0].quarantined": "0"}  # fmt: skip
    portal = await client.post(f"/portal/notices/{token}/stock", data=stock)
    assert portal.status_code == 422
    assert "tidak boleh melebihi jumlah yang diterima" in portal.text

    clerk = await make_user("distributor", consignee_code="PBF-FIG")
    await sign_in(client, clerk.username)
    path = f"/notices/{world['notice']}"
    html = (await client.get(path)).text
    page = await client.post(f"{path}/returns", data={**data, "_csrf_token": csrf_token(html)})
    assert page.status_code == 422
    assert "melebihi jumlah yang diterima" in page.text
    assert await stored_line(world) == {
        "quantity_on_hand": None,
        "quantity_quarantined": None,
        "quantity_returned": 0,
    }

"""A consignee reports stock on hand and records returns, by quantity or by GS1 scans."""

from __future__ import annotations

import asyncio

import pytest

from recall import db
from tests.factories import (
    make_batch,
    scan,
)
from tests.reads import (
    my_notices,
    recall_read,
    trail,
)


async def own_notice_id(client, world, who: str = "pbf_headers") -> int:
    return (await my_notices(client, world[who]))["items"][0]["id"]


# Stock reports ----------------------------------------------------------------------------


async def test_stock_report_sets_fields_and_counters(client, world):
    notice_id = await own_notice_id(client, world)
    batch_no = world["batch"].batch_no
    response = await client.post(
        f"/api/notices/{notice_id}/stock",
        json={"lines": [{"batch_no": batch_no, "quantity_on_hand": 300, "quarantined": 250}]},
        headers=world["pbf_headers"],
    )
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["status"] == "responded"
    assert shown["acknowledged_at"] is not None
    (line,) = shown["lines"]
    assert line["quantity_on_hand"] == 300
    assert line["quantity_quarantined"] == 250
    assert line["quantity_returned"] == 0
    rows = await db.fetch(
        "SELECT n.responded_at AS responded_at, n.last_contact_at AS last_contact_at, "
        "l.stock_reported_at AS stock_reported_at "
        "FROM notice n JOIN notice_line l ON l.notice = n.id WHERE n.id = {}",
        notice_id,
    )
    assert all(value is not None for value in rows[0].values())
    assert (
        await client.get(f"/api/notices/{notice_id}", headers=world["pbf_headers"])
    ).json() == shown
    assert await trail(client, notice_id) == ["stock_reported"]
    progress = await recall_read(client, world["recall"]["id"])
    assert progress["responded"] == 1
    assert progress["quantity_distributed"] == 1000
    assert progress["quantity_on_hand"] == 300
    assert progress["quantity_unaccounted"] == 700

    # The latest report wins; the pharmacy (tier 2) does not count twice.
    again = await client.post(
        f"/api/notices/{notice_id}/stock",
        json={"lines": [{"batch_no": batch_no, "quantity_on_hand": 100, "quarantined": 100}]},
        headers=world["pbf_headers"],
    )
    assert again.status_code == 200, again.text
    assert again.json()["lines"][0]["quantity_on_hand"] == 100
    pharmacy_notice = await own_notice_id(client, world, "pharmacy_headers")
    tier2 = await client.post(
        f"/api/notices/{pharmacy_notice}/stock",
        json={"lines": [{"batch_no": batch_no, "quantity_on_hand": 40, "quarantined": 0}]},
        headers=world["pharmacy_headers"],
    )
    assert tier2.status_code == 200, tier2.text
    progress = await recall_read(client, world["recall"]["id"])
    assert progress["responded"] == 2
    assert progress["quantity_on_hand"] == 100
    assert progress["quantity_unaccounted"] == 900


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([{"batch_no": "NOPE", "quantity_on_hand": 1, "quarantined": 0}], "lines[0].batch_no"),
        (
            [{"batch_no": "@", "quantity_on_hand": 5, "quarantined": 6}],
            "lines[0].quarantined",
        ),
        (
            [
                {"batch_no": "@", "quantity_on_hand": 5, "quarantined": 0},
                {"batch_no": "@", "quantity_on_hand": 6, "quarantined": 0},
            ],
            "lines[1].batch_no",
        ),
        ([{"batch_no": "@", "quantity_on_hand": -1, "quarantined": 0}], "quantity_on_hand"),
        (
            [{"batch_no": "@", "quantity_on_hand": 2**31, "quarantined": 0}],
            "quantity_on_hand",
        ),
        ([], "lines"),
    ],
)
async def test_bad_stock_report_is_422_and_changes_nothing(client, world, lines, field):
    notice_id = await own_notice_id(client, world)
    for line in lines:
        line["batch_no"] = line["batch_no"].replace("@", world["batch"].batch_no)
    response = await client.post(
        f"/api/notices/{notice_id}/stock", json={"lines": lines}, headers=world["pbf_headers"]
    )
    assert response.status_code in (400, 422), response.text
    assert field in response.json()["detail"]
    assert await trail(client, notice_id) == []
    shown = (await client.get(f"/api/notices/{notice_id}", headers=world["pbf_headers"])).json()
    assert shown["status"] == "pending"
    assert shown["lines"][0]["quantity_on_hand"] is None


# Returns ------------------------------------------------------------------------------------


async def test_returns_by_quantity_add_up(client, world):
    notice_id = await own_notice_id(client, world)
    path = f"/api/notices/{notice_id}/returns"
    body = {"lines": [{"batch_no": world["batch"].batch_no, "quantity": 120}]}
    first = await client.post(path, json=body, headers=world["pbf_headers"])
    assert first.status_code == 200, first.text
    assert first.json()["lines"][0]["quantity_returned"] == 120
    assert first.json()["duplicates"] == []
    assert first.json()["status"] == "responded"
    second = await client.post(path, json=body, headers=world["pbf_headers"])
    assert second.json()["lines"][0]["quantity_returned"] == 240
    assert await trail(client, notice_id) == ["returns_recorded", "returns_recorded"]
    progress = await recall_read(client, world["recall"]["id"])
    assert progress["quantity_returned"] == 240
    assert progress["quantity_unaccounted"] == 760
    assert progress["responded"] == 1


async def test_returns_by_scans_count_a_repeated_serial_once(client, world):
    notice_id = await own_notice_id(client, world)
    batch = world["batch"]
    path = f"/api/notices/{notice_id}/returns"
    scans = [scan(batch, "S1"), scan(batch, "S2"), scan(batch, "S1")]
    response = await client.post(path, json={"scans": scans}, headers=world["pbf_headers"])
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["lines"][0]["quantity_returned"] == 2
    assert shown["duplicates"] == [{"barcode": scans[2], "serial": "S1"}]
    # A serial already in the database is a duplicate too.
    later = await client.post(
        path, json={"scans": [scan(batch, "S2"), scan(batch, "S3")]}, headers=world["pbf_headers"]
    )
    assert later.json()["lines"][0]["quantity_returned"] == 3
    assert later.json()["duplicates"] == [{"barcode": scan(batch, "S2"), "serial": "S2"}]
    rows = await db.fetch(
        "SELECT serial, duplicate FROM return_scan WHERE notice = {} ORDER BY id", notice_id
    )
    assert [(row["serial"], bool(row["duplicate"])) for row in rows] == [
        ("S1", False),
        ("S2", False),
        ("S1", True),
        ("S2", True),
        ("S3", False),
    ]
    assert (await recall_read(client, world["recall"]["id"]))["quantity_returned"] == 3


async def test_scan_of_another_batch_is_422_and_stores_nothing(client, world):

    notice_id = await own_notice_id(client, world)
    other = await make_batch()
    scans = [scan(world["batch"], "A1"), scan(other, "A2")]
    response = await client.post(
        f"/api/notices/{notice_id}/returns", json={"scans": scans}, headers=world["pbf_headers"]
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("scans[1]")
    bad = await client.post(
        f"/api/notices/{notice_id}/returns",
        json={"scans": ["not a barcode"]},
        headers=world["pbf_headers"],
    )
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("scans[0]")
    assert await db.fetch("SELECT id FROM return_scan") == []
    shown = (await client.get(f"/api/notices/{notice_id}", headers=world["pbf_headers"])).json()
    assert shown["lines"][0]["quantity_returned"] == 0
    assert shown["status"] == "pending"
    assert await trail(client, notice_id) == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"lines": [{"batch_no": "X", "quantity": 1}], "scans": ["(01)1"]},
        {"lines": [{"batch_no": "@", "quantity": 0}]},
        {"lines": [{"batch_no": "NOPE", "quantity": 1}]},
        {"scans": []},
    ],
)
async def test_bad_returns_are_422(client, world, body):
    notice_id = await own_notice_id(client, world)
    for line in body.get("lines", []):
        line["batch_no"] = line["batch_no"].replace("@", world["batch"].batch_no)
    response = await client.post(
        f"/api/notices/{notice_id}/returns", json=body, headers=world["pbf_headers"]
    )
    assert response.status_code in (400, 422), response.text
    assert await trail(client, notice_id) == []


async def test_repeat_of_returns_with_the_same_key_is_not_counted_twice(client, world):
    notice_id = await own_notice_id(client, world)
    headers = {**world["pbf_headers"], "Idempotency-Key": "returns-1"}
    path = f"/api/notices/{notice_id}/returns"
    body = {"scans": [scan(world["batch"], "K1"), scan(world["batch"], "K1")]}
    first = await client.post(path, json=body, headers=headers)
    assert first.status_code == 200, first.text
    repeat = await client.post(path, json=body, headers=headers)
    assert repeat.status_code == 200
    assert repeat.content == first.content
    shown = (await client.get(f"/api/notices/{notice_id}", headers=world["pbf_headers"])).json()
    assert shown["lines"][0]["quantity_returned"] == 1
    assert len(await db.fetch("SELECT id FROM return_scan")) == 2
    assert await trail(client, notice_id) == ["returns_recorded"]


async def test_another_consignees_notice_is_404(client, world):
    theirs = await own_notice_id(client, world, "pharmacy_headers")
    batch_no = world["batch"].batch_no
    for path, body in [
        ("stock", {"lines": [{"batch_no": batch_no, "quantity_on_hand": 1, "quarantined": 0}]}),
        ("returns", {"lines": [{"batch_no": batch_no, "quantity": 1}]}),
    ]:
        response = await client.post(
            f"/api/notices/{theirs}/{path}", json=body, headers=world["pbf_headers"]
        )
        assert response.status_code == 404, path
    assert await trail(client, theirs) == []


async def test_closed_recall_is_409(client, world):
    notice_id = await own_notice_id(client, world)
    await db.fetch("UPDATE recall SET status = 'closed' WHERE id = {}", world["recall"]["id"])
    batch_no = world["batch"].batch_no
    for path, body in [
        ("stock", {"lines": [{"batch_no": batch_no, "quantity_on_hand": 1, "quarantined": 0}]}),
        ("returns", {"scans": [scan(world["batch"], "C1")]}),
    ]:
        response = await client.post(
            f"/api/notices/{notice_id}/{path}", json=body, headers=world["pbf_headers"]
        )
        assert response.status_code == 409, path
    assert await trail(client, notice_id) == []
    assert await db.fetch("SELECT id FROM return_scan") == []


# Races ------------------------------------------------------------------------------------


@pytest.mark.faults  # a race: run with the other fault tests
async def test_returns_sent_at_once_with_one_key_count_once(client, world):
    notice_id = await own_notice_id(client, world)
    headers = {**world["pbf_headers"], "Idempotency-Key": "returns-race"}
    body = {"lines": [{"batch_no": world["batch"].batch_no, "quantity": 50}]}
    responses = await asyncio.gather(
        *[client.post(f"/api/notices/{notice_id}/returns", json=body, headers=headers)
          for _ in range(4)]
    )  # fmt: skip
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    assert (await recall_read(client, world["recall"]["id"]))["quantity_returned"] == 50
    assert await trail(client, notice_id) == ["returns_recorded"]


@pytest.mark.faults  # a race: run with the other fault tests
async def test_returns_sent_at_once_by_two_clerks_both_count(client, world):
    # Two different returns at the same moment: neither may overwrite the other's units.
    notice_id = await own_notice_id(client, world)
    path = f"/api/notices/{notice_id}/returns"
    batch_no = world["batch"].batch_no
    responses = await asyncio.gather(
        *[client.post(path, json={"lines": [{"batch_no": batch_no, "quantity": quantity}]},
                      headers=world["pbf_headers"])
          for quantity in (30, 40, 50)]
    )  # fmt: skip
    assert [r.status_code for r in responses] == [200] * 3, [r.text for r in responses]
    assert (await recall_read(client, world["recall"]["id"]))["quantity_returned"] == 120
    assert await trail(client, notice_id) == ["returns_recorded"] * 3


@pytest.mark.faults  # a race: run with the other fault tests
async def test_one_serial_scanned_by_two_clerks_at_once_counts_once(client, world):
    notice_id = await own_notice_id(client, world)
    body = {"scans": [scan(world["batch"], "RACE-1")]}
    responses = await asyncio.gather(
        *[client.post(f"/api/notices/{notice_id}/returns", json=body,
                      headers=world["pbf_headers"])
          for _ in range(2)]
    )  # fmt: skip
    assert [r.status_code for r in responses] == [200] * 2, [r.text for r in responses]
    assert sorted(len(r.json()["duplicates"]) for r in responses) == [0, 1]
    shown = (await client.get(f"/api/notices/{notice_id}", headers=world["pbf_headers"])).json()
    assert shown["lines"][0]["quantity_returned"] == 1

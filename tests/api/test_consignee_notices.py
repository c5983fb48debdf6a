"""The consignee's side: its own notices only, acknowledging them, Idempotency-Key replays."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from recall import auth, db
from recall.actors import SYSTEM
from recall.clock import today
from tests.factories import (
    approved_recall,
    headers_for,
    make_batch,
    ship,
)
from tests.reads import deadline, moment, my_notices, recall_read, trail

# Reading ------------------------------------------------------------------------------


async def test_list_shows_only_the_callers_own_notices(client, world):
    page = await my_notices(client, world["pbf_headers"])
    assert page["total"] == 1
    (notice,) = page["items"]
    batch, recall = world["batch"], world["recall"]
    assert notice["tier"] == 1
    assert notice["status"] == "pending"
    assert notice["acknowledged_at"] is None
    assert notice["recall"] == {
        "reference": recall["reference"],
        "recall_class": "I",
        "reason": recall["reason"],
        "depth": "retail",
        "drill": False,
        "batches": [
            {
                "gtin": batch.gtin,
                "batch_no": batch.batch_no,
                "expires_on": batch.expires_on.isoformat(),
                "product_name": batch.product_name,
            }
        ],
    }
    assert notice["lines"] == [
        {
            "batch_no": batch.batch_no,
            "gtin": batch.gtin,
            "quantity_distributed": 1000,
            "quantity_on_hand": None,
            "quantity_quarantined": None,
            "quantity_returned": 0,
        }
    ]
    pharmacy_page = await my_notices(client, world["pharmacy_headers"])
    assert pharmacy_page["total"] == 1
    assert pharmacy_page["items"][0]["id"] != notice["id"]
    assert pharmacy_page["items"][0]["lines"][0]["quantity_distributed"] == 40


async def test_respond_by_follows_the_consignees_level(client, world):
    recall = world["recall"]
    pbf = (await my_notices(client, world["pbf_headers"]))["items"][0]
    pharmacy = (await my_notices(client, world["pharmacy_headers"]))["items"][0]
    assert moment(pbf["respond_by"]) == deadline(recall, "wholesale_complete")
    assert moment(pharmacy["respond_by"]) == deadline(recall, "retail_complete")


async def test_list_is_newest_first_and_paginated(client, world):
    second = await make_batch(
        manufactured_on=today() - timedelta(days=30), expires_on=today() + timedelta(days=700)
    )
    await ship(second, world["pbf"], 5)
    newer = await approved_recall(client, second)
    page = await my_notices(client, world["pbf_headers"])
    assert page["total"] == 2
    assert [item["recall"]["reference"] for item in page["items"]] == [
        newer["reference"],
        world["recall"]["reference"],
    ]
    response = await client.get(
        "/api/notices", params={"limit": 1, "offset": 1}, headers=world["pbf_headers"]
    )
    assert response.json()["total"] == 2
    assert [item["recall"]["reference"] for item in response.json()["items"]] == [
        world["recall"]["reference"]
    ]


async def test_proposed_recall_is_not_shown(client, world):
    await db.fetch("UPDATE recall SET status = 'proposed' WHERE id = {}", world["recall"]["id"])
    assert await my_notices(client, world["pbf_headers"]) == {"items": [], "total": 0}


async def test_read_one_own_notice_but_never_anothers(client, world):
    mine = (await my_notices(client, world["pbf_headers"]))["items"][0]
    theirs = (await my_notices(client, world["pharmacy_headers"]))["items"][0]
    response = await client.get(f"/api/notices/{mine['id']}", headers=world["pbf_headers"])
    assert response.status_code == 200
    assert response.json() == mine
    for notice_id in (theirs["id"], 999_999):
        for path in (f"/api/notices/{notice_id}", f"/api/notices/{notice_id}/acknowledge"):
            method = "POST" if path.endswith("acknowledge") else "GET"
            response = await client.request(method, path, headers=world["pbf_headers"])
            assert response.status_code == 404, path
            assert response.json()["status_code"] == 404
    assert (await my_notices(client, world["pharmacy_headers"]))["items"][0] == theirs


async def test_api_key_works_like_the_distributor_user(client, world):
    key = await auth.create_api_key(SYSTEM, world["pbf"].id)
    headers = {"Authorization": f"Bearer {key}"}
    assert await my_notices(client, headers) == await my_notices(client, world["pbf_headers"])
    notice_id = (await my_notices(client, headers))["items"][0]["id"]
    response = await client.post(f"/api/notices/{notice_id}/acknowledge", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "acknowledged"
    entries = await client.get(
        "/api/audit",
        params={"entity": "notice", "entity_id": str(notice_id)},
        headers=await headers_for("admin"),
    )
    assert entries.json()["items"][0]["actor_name"].startswith("API key #")


@pytest.mark.parametrize("role", ["qa", "qa_manager", "cs", "inspector", "admin"])
async def test_staff_are_refused(client, world, role):
    headers = await headers_for(role)
    notice_id = (await my_notices(client, world["pbf_headers"]))["items"][0]["id"]
    for method, path in [
        ("GET", "/api/notices"),
        ("GET", f"/api/notices/{notice_id}"),
        ("POST", f"/api/notices/{notice_id}/acknowledge"),
    ]:
        response = await client.request(method, path, headers=headers)
        assert response.status_code == 403, (method, path)


async def test_without_sign_in_is_401(client):
    assert (await client.get("/api/notices")).status_code == 401
    assert (await client.post("/api/notices/1/acknowledge")).status_code == 401


# Acknowledging --------------------------------------------------------------------------


async def test_acknowledge_sets_fields_audits_and_counts(client, world):
    notice_id = (await my_notices(client, world["pbf_headers"]))["items"][0]["id"]
    assert (await recall_read(client, world["recall"]["id"]))["acknowledged"] == 0
    response = await client.post(
        f"/api/notices/{notice_id}/acknowledge", headers=world["pbf_headers"]
    )
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["status"] == "acknowledged"
    assert shown["acknowledged_at"] is not None
    rows = await db.fetch("SELECT version, last_contact_at FROM notice WHERE id = {}", notice_id)
    assert rows[0]["version"] == 2
    assert rows[0]["last_contact_at"] is not None
    assert await trail(client, notice_id) == ["acknowledged"]
    assert (await recall_read(client, world["recall"]["id"]))["acknowledged"] == 1
    again = await client.post(f"/api/notices/{notice_id}/acknowledge", headers=world["pbf_headers"])
    assert again.status_code == 200
    assert again.json() == shown
    assert await trail(client, notice_id) == ["acknowledged"]
    assert (await recall_read(client, world["recall"]["id"]))["acknowledged"] == 1


async def test_acknowledge_on_a_closed_recall_is_409(client, world):
    notice_id = (await my_notices(client, world["pbf_headers"]))["items"][0]["id"]
    await db.fetch("UPDATE recall SET status = 'closed' WHERE id = {}", world["recall"]["id"])
    response = await client.post(
        f"/api/notices/{notice_id}/acknowledge", headers=world["pbf_headers"]
    )
    assert response.status_code == 409
    assert await trail(client, notice_id) == []
    # Still readable.
    assert (
        await client.get(f"/api/notices/{notice_id}", headers=world["pbf_headers"])
    ).status_code == 200


@pytest.mark.faults  # a race: run with the other fault tests
async def test_concurrent_acknowledges_write_one_audit_entry(client, world):
    notice_id = (await my_notices(client, world["pbf_headers"]))["items"][0]["id"]
    responses = await asyncio.gather(
        *[
            client.post(f"/api/notices/{notice_id}/acknowledge", headers=world["pbf_headers"])
            for _ in range(4)
        ]
    )
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    assert len({r.json()["acknowledged_at"] for r in responses}) == 1
    assert await trail(client, notice_id) == ["acknowledged"]


# Idempotency-Key ----------------------------------------------------------------------------


async def test_repeat_with_the_same_key_returns_the_first_answer(client, world):
    notice_id = (await my_notices(client, world["pbf_headers"]))["items"][0]["id"]
    headers = {**world["pbf_headers"], "Idempotency-Key": "ack-1"}
    path = f"/api/notices/{notice_id}/acknowledge"
    first = await client.post(path, headers=headers)
    assert first.status_code == 200, first.text
    # The notice moves on meanwhile; the repeat still gets the first answer.
    await db.fetch("UPDATE notice SET status = 'responded' WHERE id = {}", notice_id)
    repeat = await client.post(path, headers=headers)
    assert repeat.status_code == 200
    assert repeat.content == first.content
    assert await trail(client, notice_id) == ["acknowledged"]
    stored = await db.fetch("SELECT scope FROM idempotent_response")
    assert stored == [{"scope": f"consignee:{world['pbf'].id}"}]


async def test_same_key_with_a_different_request_is_422(client, world):
    notice_id = (await my_notices(client, world["pbf_headers"]))["items"][0]["id"]
    headers = {**world["pbf_headers"], "Idempotency-Key": "ack-2"}
    path = f"/api/notices/{notice_id}/acknowledge"
    assert (await client.post(path, headers=headers)).status_code == 200
    different = await client.post(path, headers=headers, json={"note": "other"})
    assert different.status_code == 422
    assert "Idempotency-Key" in different.json()["detail"]
    other_path = await client.post("/api/notices/999999/acknowledge", headers=headers)
    assert other_path.status_code == 422


async def test_keys_are_per_consignee(client, world):
    headers = {"Idempotency-Key": "shared"}
    for who in ("pbf_headers", "pharmacy_headers"):
        notice_id = (await my_notices(client, world[who]))["items"][0]["id"]
        response = await client.post(
            f"/api/notices/{notice_id}/acknowledge", headers={**world[who], **headers}
        )
        assert response.status_code == 200, response.text
        assert response.json()["id"] == notice_id


@pytest.mark.parametrize("key", ["x" * 201, " "])
async def test_bad_key_is_400_naming_the_header(client, world, key):
    notice_id = (await my_notices(client, world["pbf_headers"]))["items"][0]["id"]
    response = await client.post(
        f"/api/notices/{notice_id}/acknowledge",
        headers={**world["pbf_headers"], "Idempotency-Key": key},
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Idempotency-Key")
    assert await trail(client, notice_id) == []


async def test_key_of_200_characters_is_accepted(client, world):
    notice_id = (await my_notices(client, world["pbf_headers"]))["items"][0]["id"]
    response = await client.post(
        f"/api/notices/{notice_id}/acknowledge",
        headers={**world["pbf_headers"], "Idempotency-Key": "k" * 200},
    )
    assert response.status_code == 200


@pytest.mark.faults  # a race: run with the other fault tests
async def test_concurrent_repeats_with_one_key_give_one_answer(client, world):
    notice_id = (await my_notices(client, world["pbf_headers"]))["items"][0]["id"]
    headers = {**world["pbf_headers"], "Idempotency-Key": "race"}
    responses = await asyncio.gather(
        *[client.post(f"/api/notices/{notice_id}/acknowledge", headers=headers) for _ in range(4)]
    )
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    assert await trail(client, notice_id) == ["acknowledged"]
    assert len(await db.fetch("SELECT id FROM idempotent_response")) == 1

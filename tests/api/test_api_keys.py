"""Consignee API keys over HTTP, as an attacker and an administrator would use them.

A key acts as its consignee, so only an administrator creates, lists and revokes keys.
Revoking a key twice answers 409 (the key exists, it is already revoked); an unknown id 404.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from recall import clock
from tests.factories import (
    headers_for,
    make_consignee,
)
from tests.reads import my_notices


async def create_key(client, consignee_id: int, headers: dict[str, str]):
    return await client.post(f"/api/consignees/{consignee_id}/api-keys", headers=headers)


async def keys_of(client, admin, **params) -> dict:
    response = await client.get("/api/api-keys", params=params, headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


async def trail(client, key_id: int) -> list[dict]:
    response = await client.get(
        "/api/audit",
        params={"entity": "api_key", "entity_id": str(key_id)},
        headers=await headers_for("inspector"),
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.fixture
async def admin():
    return await headers_for("admin")


@pytest.mark.parametrize("role", ["qa", "qa_manager", "cs", "inspector", "distributor"])
async def test_only_an_administrator_mints_a_key(client, admin, role):
    consignee = await make_consignee("PBF-JKT-001")
    code = consignee.code if role == "distributor" else None
    response = await create_key(client, consignee.id, await headers_for(role, consignee_code=code))
    assert response.status_code == 403, response.text
    assert "key" not in response.json()
    assert await keys_of(client, admin) == {"items": [], "total": 0}


async def test_admin_creates_a_key_that_works_until_it_is_revoked(client, world, admin):
    created = await create_key(client, world["pbf"].id, admin)
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    as_key = {"Authorization": f"Bearer {key}"}
    assert (await my_notices(client, as_key))["total"] == 1

    listed = await keys_of(client, admin)
    assert listed["total"] == 1
    item = listed["items"][0]
    assert set(item) >= {
        "id",
        "prefix",
        "consignee_code",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    }
    assert key.startswith(f"rk_{item['prefix']}_")
    assert key not in str(listed)
    assert (item["consignee_code"], item["revoked_at"]) == ("A-PBF", None)
    assert item["created_by"].startswith("admin")
    assert item["last_used_at"] is not None

    revoked = await client.delete(f"/api/api-keys/{item['id']}", headers=admin)
    assert revoked.status_code == 204, revoked.text
    assert revoked.content == b""
    answer = await client.get("/api/notices", headers=as_key)
    assert answer.status_code == 401, answer.text
    after = (await keys_of(client, admin))["items"][0]
    assert after["revoked_at"] is not None
    assert after["revoked_by"] == item["created_by"]


async def test_revocation_is_in_the_keys_audit_trail(client, admin):
    consignee = await make_consignee("PBF-JKT-001")
    await create_key(client, consignee.id, admin)
    key_id = (await keys_of(client, admin))["items"][0]["id"]
    assert (await client.delete(f"/api/api-keys/{key_id}", headers=admin)).status_code == 204
    entries = await trail(client, key_id)
    assert [entry["action"] for entry in entries] == ["api_key_revoked", "api_key_created"]
    revocation = entries[0]
    assert revocation["actor_name"].endswith(")") and "admin" in revocation["actor_name"]
    assert revocation["old_values"] == {"revoked_at": None}
    assert revocation["new_values"]["consignee_code"] == "PBF-JKT-001"
    assert revocation["new_values"]["revoked_at"]


async def test_what_a_key_does_is_audited_under_the_keys_id(client, world, admin):
    await create_key(client, world["pbf"].id, admin)
    await create_key(client, world["pbf"].id, admin)  # a second key of the same consignee
    key = (await create_key(client, world["pbf"].id, admin)).json()["key"]
    key_id = next(
        item["id"]
        for item in (await keys_of(client, admin, consignee_code="A-PBF"))["items"]
        if key.startswith(f"rk_{item['prefix']}_")
    )
    as_key = {"Authorization": f"Bearer {key}"}
    notice_id = (await my_notices(client, as_key))["items"][0]["id"]
    acknowledged = await client.post(f"/api/notices/{notice_id}/acknowledge", headers=as_key)
    assert acknowledged.status_code == 200, acknowledged.text
    entries = await client.get(
        "/api/audit",
        params={"entity": "notice", "entity_id": str(notice_id), "action": "acknowledged"},
        headers=admin,
    )
    assert entries.status_code == 200, entries.text
    names = [entry["actor_name"] for entry in entries.json()["items"]]
    assert names and all(f"API key #{key_id} of A-PBF" in name for name in names), names


@pytest.mark.parametrize("role", ["qa", "qa_manager", "cs", "inspector", "distributor"])
async def test_others_may_neither_list_nor_revoke_keys(client, admin, role):
    consignee = await make_consignee("PBF-JKT-001")
    key = (await create_key(client, consignee.id, admin)).json()["key"]
    key_id = (await keys_of(client, admin))["items"][0]["id"]
    code = consignee.code if role == "distributor" else None
    for headers in (
        await headers_for(role, consignee_code=code),
        {"Authorization": f"Bearer {key}"},
    ):
        listed = await client.get("/api/api-keys", headers=headers)
        assert listed.status_code == 403, listed.text
        revoked = await client.delete(f"/api/api-keys/{key_id}", headers=headers)
        assert revoked.status_code == 403, revoked.text
    assert (await keys_of(client, admin))["items"][0]["revoked_at"] is None
    assert (await client.get("/api/api-keys")).status_code == 401


async def test_revoking_an_unknown_key_is_404_and_twice_is_409(client, admin):
    assert (await client.delete("/api/api-keys/424242", headers=admin)).status_code == 404
    consignee = await make_consignee("PBF-JKT-001")
    await create_key(client, consignee.id, admin)
    key_id = (await keys_of(client, admin))["items"][0]["id"]
    assert (await client.delete(f"/api/api-keys/{key_id}", headers=admin)).status_code == 204
    again = await client.delete(f"/api/api-keys/{key_id}", headers=admin)
    assert again.status_code == 409, again.text
    assert [e["action"] for e in await trail(client, key_id)].count("api_key_revoked") == 1


async def test_keys_are_listed_per_consignee_and_paged(client, admin):
    first = await make_consignee("PBF-JKT-001")
    second = await make_consignee("PBF-SBY-001")
    for consignee in (first, second, second):
        assert (await create_key(client, consignee.id, admin)).status_code == 201
    assert (await keys_of(client, admin))["total"] == 3
    of_second = await keys_of(client, admin, consignee_code="PBF-SBY-001")
    assert of_second["total"] == 2
    assert {item["consignee_code"] for item in of_second["items"]} == {"PBF-SBY-001"}
    paged = await keys_of(client, admin, limit=1, offset=1)
    assert (len(paged["items"]), paged["total"]) == (1, 3)
    assert (await keys_of(client, admin, consignee_code="NOBODY"))["total"] == 0


async def test_last_use_is_written_at_most_once_a_minute(client, admin):
    consignee = await make_consignee("PBF-JKT-001")
    key = (await create_key(client, consignee.id, admin)).json()["key"]
    as_key = {"Authorization": f"Bearer {key}"}
    assert (await keys_of(client, admin))["items"][0]["last_used_at"] is None
    for _ in range(3):
        assert (await client.get("/api/notices", headers=as_key)).status_code == 200
    first = (await keys_of(client, admin))["items"][0]["last_used_at"]
    assert first is not None
    for _ in range(3):
        await client.get("/api/notices", headers=as_key)
    assert (await keys_of(client, admin))["items"][0]["last_used_at"] == first

    later = clock.now() + timedelta(seconds=61)
    clock.set_clock(lambda: later)
    try:
        await client.get("/api/notices", headers=as_key)
    finally:
        clock.set_clock(None)
    assert (await keys_of(client, admin))["items"][0]["last_used_at"] > first

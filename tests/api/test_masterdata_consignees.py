"""Consignees and their API keys over HTTP: secrets shown once, filters, bad input."""

from __future__ import annotations

import base64

import pytest
import pytest_asyncio

from tests.api.masterdata_setup import (
    World,
    audit_trail,
    catalogue,
    consignee_body,
)
from tests.factories import (
    headers_as,
    make_consignee,
)


@pytest_asyncio.fixture
async def world() -> World:
    return await catalogue()


# Consignees and API keys ---------------------------------------------------------


async def test_create_consignee_shows_the_webhook_secret_once(client, qa):
    parent = await make_consignee("PBF-SBY-01", kind="pbf")
    response = await client.post(
        "/api/consignees", json=consignee_body(parent_code="PBF-SBY-01"), headers=qa
    )
    assert response.status_code == 201, response.text
    created = response.json()
    secret = created.pop("webhook_secret")
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert created == {
        "id": created["id"],
        **consignee_body(parent_code="PBF-SBY-01"),
        "country": "ID",
    }
    one = await client.get(f"/api/consignees/{created['id']}", headers=qa)
    assert one.json() == created
    listed = await client.get("/api/consignees", headers=qa)
    assert listed.json()["total"] == 2
    assert all("webhook_secret" not in item for item in listed.json()["items"])
    assert secret not in one.text + listed.text
    trail = await audit_trail(client, "consignee", created["id"])
    assert [entry["action"] for entry in trail] == ["created"]
    assert trail[0]["new_values"]["parent_code"] == parent.code
    assert secret not in str(trail)


async def test_each_consignee_gets_its_own_secret(client, qa):
    first = await client.post("/api/consignees", json=consignee_body(code="A-1"), headers=qa)
    second = await client.post("/api/consignees", json=consignee_body(code="A-2"), headers=qa)
    assert first.json()["webhook_secret"] != second.json()["webhook_secret"]


async def test_consignee_with_only_required_fields(client, qa):
    body = {"code": "RS-01", "name": "RSUD Dr. Soetomo", "kind": "hospital"}
    response = await client.post("/api/consignees", json=body, headers=qa)
    assert response.status_code == 201, response.text
    assert response.json()["email"] is None
    assert response.json()["parent_code"] is None


async def test_list_consignees_filters_by_kind(client, qa):
    await make_consignee("PBF-1", kind="pbf")
    await make_consignee("APT-1", kind="pharmacy", parent_code="PBF-1")
    await make_consignee("APT-2", kind="pharmacy", parent_code="PBF-1")
    response = await client.get("/api/consignees?kind=pharmacy", headers=qa)
    assert response.status_code == 200
    assert [c["code"] for c in response.json()["items"]] == ["APT-1", "APT-2"]
    assert response.json()["total"] == 2
    unknown = await client.get("/api/consignees?kind=supermarket", headers=qa)
    assert unknown.status_code == 400
    assert unknown.json()["detail"].startswith("kind: ")


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"code": "PBF 01"}, 422, "code"),
        ({"code": "-PBF"}, 422, "code"),
        ({"code": "C" * 41}, 400, "code"),
        ({"code": ""}, 400, "code"),
        ({"name": " "}, 422, "name"),
        ({"kind": "supermarket"}, 400, "kind"),
        ({"kind": "PBF"}, 400, "kind"),
        ({"kind": None}, 400, "kind"),
        ({"parent_code": "NOPE-1"}, 422, "parent_code"),
        ({"parent_code": "bad code"}, 422, "parent_code"),
        ({"email": "not-an-address"}, 422, "email"),
        ({"email": "a@b"}, 422, "email"),
        ({"email": "x" * 250 + "@example.com"}, 400, "email"),
        ({"phone": "p" * 41}, 400, "phone"),
        ({"phone": "0812\n3456"}, 422, "phone"),
        ({"after_hours_phone": 812345}, 400, "after_hours_phone"),
        ({"webhook_url": "ftp://example.com/hook"}, 422, "webhook_url"),
        ({"webhook_url": "https://"}, 422, "webhook_url"),
        ({"webhook_url": "http://[::1"}, 422, "webhook_url"),
        ({"webhook_url": "https://example.com:99999/x"}, 422, "webhook_url"),
        ({"webhook_url": "https://exa mple.com/"}, 422, "webhook_url"),
        ({"province": "p" * 101}, 400, "province"),
    ],
)
async def test_create_consignee_rejects_bad_input(client, qa, change, status, field):
    response = await client.post("/api/consignees", json=consignee_body(**change), headers=qa)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(f"{field}: "), response.text


async def test_duplicate_consignee_code_is_409(client, qa):
    await make_consignee("APT-SBY-07", kind="pharmacy")
    response = await client.post("/api/consignees", json=consignee_body(), headers=qa)
    assert response.status_code == 409
    assert "APT-SBY-07" in response.json()["detail"]


async def test_unknown_consignee_is_404(client, qa):
    assert (await client.get("/api/consignees/424242", headers=qa)).status_code == 404
    key = await client.post("/api/consignees/424242/api-keys", headers=await headers_as("admin"))
    assert key.status_code == 404


async def test_api_key_is_shown_once_and_authenticates_as_a_distributor(client, world):
    admin = await headers_as("admin")
    response = await client.post(f"/api/consignees/{world.consignee.id}/api-keys", headers=admin)
    assert response.status_code == 201, response.text
    assert list(response.json()) == ["key"]
    key = response.json()["key"]
    as_consignee = {"Authorization": f"Bearer {key}"}
    # Authenticated (not 401) but a distributor may not read master data.
    for path in ("/api/products", "/api/consignees", f"/api/batches/{world.batch.id}"):
        answer = await client.get(path, headers=as_consignee)
        assert answer.status_code == 403, answer.text
    keys = (await client.get("/api/api-keys", headers=admin)).json()["items"]
    trail = await audit_trail(client, "api_key", keys[0]["id"])
    assert [entry["action"] for entry in trail] == ["api_key_created"]
    assert trail[0]["new_values"]["consignee_code"] == world.consignee.code
    assert key not in str(trail)


async def test_a_second_key_does_not_replace_the_first(client, world):
    url, admin = f"/api/consignees/{world.consignee.id}/api-keys", await headers_as("admin")
    first = (await client.post(url, headers=admin)).json()["key"]
    second = (await client.post(url, headers=admin)).json()["key"]
    assert first != second
    for key in (first, second):
        answer = await client.get("/api/products", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 403


async def test_a_wrong_api_key_is_401(client, world):
    admin = await headers_as("admin")
    response = await client.post(f"/api/consignees/{world.consignee.id}/api-keys", headers=admin)
    key = response.json()["key"]
    tampered = key[:-2] + ("aa" if not key.endswith("aa") else "bb")
    for credential in (tampered, "rk_unknown_key"):
        answer = await client.get(
            "/api/products", headers={"Authorization": f"Bearer {credential}"}
        )
        assert answer.status_code == 401, answer.text

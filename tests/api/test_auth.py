import pytest

from tests.factories import PASSWORD, headers_for, make_user


async def test_login_returns_token_and_user(client):
    user = await make_user("qa")
    response = await client.post(
        "/api/auth/login", json={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"] == {
        "id": user.id,
        "username": user.username,
        "roles": ["qa"],
        "full_name": user.full_name,
        "consignee_code": None,
    }
    me = await client.get("/api/audit", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200


async def test_wrong_password_is_401(client):
    user = await make_user("qa")
    response = await client.post(
        "/api/auth/login", json={"username": user.username, "password": "nope"}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "username or password is wrong"


async def test_admin_creates_user_and_it_is_audited(client):
    headers = await headers_for("admin")
    response = await client.post(
        "/api/users",
        json={
            "username": "siti",
            "password": "a-long-password",
            "full_name": "Siti Rahma",
            "roles": ["cs"],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    trail = await client.get(
        f"/api/audit?entity=user&entity_id={response.json()['id']}", headers=headers
    )
    assert trail.json()["total"] == 1
    verify = await client.get("/api/audit/verify", headers=headers)
    assert verify.json()["ok"] is True


async def test_non_admin_cannot_create_user(client):
    response = await client.post(
        "/api/users",
        json={"username": "x1", "password": "a-long-password", "full_name": "X", "roles": ["cs"]},
        headers=await headers_for("qa"),
    )
    assert response.status_code == 403


async def test_no_token_is_401(client):
    response = await client.get("/api/audit")
    assert response.status_code == 401
    assert response.json()["status_code"] == 401


async def test_expired_token_is_401(client, settings):
    from datetime import UTC, datetime, timedelta

    from recall import clock
    from recall.auth._tokens import issue_token

    user = await make_user("qa")
    token = issue_token(user.id, settings.secret_key, 5)
    clock.set_clock(lambda: datetime.now(UTC) - timedelta(minutes=10))
    try:
        stale = issue_token(user.id, settings.secret_key, 5)
    finally:
        clock.set_clock(None)
    response = await client.get("/api/audit", headers={"Authorization": f"Bearer {stale}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    fresh = await client.get("/api/audit", headers={"Authorization": f"Bearer {token}"})
    assert fresh.status_code == 200


async def test_token_signed_with_another_key_is_401(client):
    from recall.auth._tokens import issue_token

    user = await make_user("admin")
    forged = issue_token(user.id, "some-other-key-" + "y" * 32, 60)
    response = await client.get("/api/audit", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_login_is_rate_limited(client, settings):
    user = await make_user("qa")
    statuses = [
        (
            await client.post("/api/auth/login", json={"username": user.username, "password": "x"})
        ).status_code
        for _ in range(settings.login_attempts_per_minute + 2)
    ]
    # More than the limit of failures blocks the username: the attempt after them is refused.
    assert statuses[:-1] == [401] * (settings.login_attempts_per_minute + 1)
    assert statuses[-1] == 429


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "Bad Name!", "roles": ["cs"]}, "username"),
        ({"password": "short", "roles": ["cs"]}, "password"),
        ({"roles": ["wizard"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"roles": ["distributor"]}, "consignee_code"),
        ({"roles": ["distributor"], "consignee_code": "NOPE"}, "consignee_code"),
        ({"roles": ["qa"], "consignee_code": "NOPE"}, "consignee_code"),
        ({"full_name": "   ", "roles": ["cs"]}, "full_name"),
        ({"roles": "cs"}, "roles"),
        ({"username": 7, "roles": ["cs"]}, "username"),
    ],
)
async def test_create_user_rejects_bad_input_naming_the_field(client, body, field):
    payload = {"username": "budi", "password": "a-long-password", "full_name": "Budi", **body}
    response = await client.post("/api/users", json=payload, headers=await headers_for("admin"))
    assert response.status_code in (400, 422), response.text
    assert response.json()["detail"].startswith(field)


async def test_duplicate_username_is_409(client):
    headers = await headers_for("admin")
    payload = {
        "username": "dewi",
        "password": "a-long-password",
        "full_name": "Dewi",
        "roles": ["qa"],
    }
    assert (await client.post("/api/users", json=payload, headers=headers)).status_code == 201
    assert (await client.post("/api/users", json=payload, headers=headers)).status_code == 409


async def test_distributor_user_is_bound_to_its_consignee(client):
    from recall.actors import SYSTEM
    from recall.masterdata import create_consignee

    await create_consignee(SYSTEM, "PBF-B", "PT Bina Farma", "pbf")
    payload = {
        "username": "gudang",
        "password": "a-long-password",
        "full_name": "Gudang PBF",
        "roles": ["distributor"],
        "consignee_code": "PBF-B",
    }
    response = await client.post("/api/users", json=payload, headers=await headers_for("admin"))
    assert response.status_code == 201
    assert response.json()["consignee_code"] == "PBF-B"
    login = await client.post(
        "/api/auth/login", json={"username": "gudang", "password": "a-long-password"}
    )
    assert login.json()["user"]["consignee_code"] == "PBF-B"


async def test_api_key_authenticates_as_its_consignee(client):
    from recall import auth
    from recall.actors import SYSTEM, Role
    from recall.masterdata import create_consignee

    consignee, _ = await create_consignee(SYSTEM, "PBF-C", "PT Cahaya", "pbf")
    key = await auth.create_api_key(SYSTEM, consignee.id)
    actor = await auth.actor_for_token(key, "unused")
    assert (actor.consignee_id, actor.via_api_key) == (consignee.id, True)
    assert actor.roles == {Role.DISTRIBUTOR}
    tampered = key[:-2] + ("AA" if not key.endswith("AA") else "BB")
    response = await client.get("/api/audit", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401
    response = await client.get("/api/audit", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403

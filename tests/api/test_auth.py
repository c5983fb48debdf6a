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

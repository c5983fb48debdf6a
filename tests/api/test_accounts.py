"""Account lifecycle as an attacker and an administrator would drive it: tokens and sessions end
after a password change, a role change, deactivation or sign-out; weak passwords are refused;
only admins change accounts, never leaving the system without one; every change is audited."""

from __future__ import annotations

import pytest

from recall import auth
from recall.actors import SYSTEM
from recall.settings import get_settings
from tests.factories import PASSWORD, headers_for, make_user
from tests.pages.helpers import sign_in

NEW_PASSWORD = "kopi tubruk di pagi hari"


async def bearer(username: str, password: str = PASSWORD) -> dict[str, str]:
    token, _ = await auth.login(username, password, get_settings().secret_key, 60)
    return {"Authorization": f"Bearer {token}"}


async def login(client, username: str, password: str = PASSWORD):
    return await client.post("/api/auth/login", json={"username": username, "password": password})


async def can_read(client, headers) -> int:
    return (await client.get("/api/alerts", headers=headers)).status_code


async def audit_of(client, user_id: int) -> list[dict]:
    response = await client.get(
        "/api/audit",
        params={"entity": "user", "entity_id": user_id},
        headers=await headers_for("inspector"),
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


# Ending tokens and sessions --------------------------------------------------------------


async def test_own_password_change_ends_every_older_token(client):
    user = await make_user("qa")
    first, second = await bearer(user.username), await bearer(user.username)
    response = await client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=first,
    )
    assert response.status_code == 204, response.text
    assert await can_read(client, first) == 401
    assert await can_read(client, second) == 401
    assert (await login(client, user.username)).status_code == 401
    fresh = await login(client, user.username, NEW_PASSWORD)
    assert fresh.status_code == 200
    headers = {"Authorization": f"Bearer {fresh.json()['token']}"}
    assert await can_read(client, headers) == 200


async def test_wrong_current_password_changes_nothing(client):
    user = await make_user("qa")
    headers = await bearer(user.username)
    response = await client.post(
        "/api/auth/password",
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "current_password"
    assert await can_read(client, headers) == 200
    assert (await login(client, user.username)).status_code == 200


async def test_admin_password_reset_ends_the_users_tokens(client):
    user = await make_user("qa")
    old = await bearer(user.username)
    response = await client.post(
        f"/api/users/{user.id}/password",
        json={"password": NEW_PASSWORD},
        headers=await headers_for("admin"),
    )
    assert response.status_code == 204, response.text
    assert await can_read(client, old) == 401
    assert (await login(client, user.username, NEW_PASSWORD)).status_code == 200


async def test_role_change_ends_the_users_tokens(client):
    user = await make_user("qa")
    old = await bearer(user.username)
    response = await client.patch(
        f"/api/users/{user.id}", json={"roles": ["cs"]}, headers=await headers_for("admin")
    )
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["cs"]
    assert await can_read(client, old) == 401
    # Signed in again, the new roles apply: cs may not read alerts.
    assert await can_read(client, await bearer(user.username)) == 403


async def test_deactivation_ends_tokens_and_sign_in_until_reactivated(client):
    user = await make_user("qa")
    old = await bearer(user.username)
    admin = await headers_for("admin")
    off = await client.patch(f"/api/users/{user.id}", json={"active": False}, headers=admin)
    assert off.status_code == 200, off.text
    assert off.json()["active"] is False
    assert await can_read(client, old) == 401
    assert (await login(client, user.username)).status_code == 401
    on = await client.patch(f"/api/users/{user.id}", json={"active": True}, headers=admin)
    assert on.json()["active"] is True
    assert (await login(client, user.username)).status_code == 200
    assert await can_read(client, old) == 401  # reactivation does not revive old tokens


async def test_page_session_ends_when_the_account_is_deactivated(client):
    user = await make_user("qa")
    assert (await sign_in(client, user.username)).status_code == 303
    assert (await client.get("/")).status_code == 200
    await auth.update_user(SYSTEM, user.id, active=False)
    page = await client.get("/complaints")
    assert page.status_code in (302, 303, 401)
    if page.status_code != 401:
        assert page.headers["location"].startswith("/login")


async def test_page_session_ends_when_the_password_is_reset(client):
    user = await make_user("qa")
    await sign_in(client, user.username)
    await auth.set_password(SYSTEM, user.id, NEW_PASSWORD)
    page = await client.get("/")
    assert page.status_code in (302, 303, 401)


async def test_logout_ends_that_token_only(client):
    user = await make_user("qa")
    ended, other = await bearer(user.username), await bearer(user.username)
    assert (await client.post("/api/auth/logout", headers=ended)).status_code == 204
    assert await can_read(client, ended) == 401
    assert (await client.post("/api/auth/logout", headers=ended)).status_code == 401
    assert await can_read(client, other) == 200


async def test_page_sign_out_ends_the_sessions_token(client):
    user = await make_user("qa")
    await sign_in(client, user.username)
    session = client.cookies.get("recall_session")
    home = await client.get("/")
    assert home.status_code == 200
    from tests.pages.helpers import csrf_token

    response = await client.post("/logout", data={"_csrf_token": csrf_token(home.text)})
    assert response.status_code == 303
    # Replaying the old session cookie gets nowhere.
    client.cookies.set("recall_session", session)
    assert (await client.get("/")).status_code in (302, 303, 401)


# Who may change accounts -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["cs", "qa", "qa_manager", "inspector"])
async def test_only_admins_change_or_list_accounts(client, role):
    target = await make_user("cs")
    headers = await headers_for(role)
    assert (await client.get("/api/users", headers=headers)).status_code == 403
    patched = await client.patch(
        f"/api/users/{target.id}", json={"roles": ["admin"]}, headers=headers
    )
    assert patched.status_code == 403
    reset = await client.post(
        f"/api/users/{target.id}/password", json={"password": NEW_PASSWORD}, headers=headers
    )
    assert reset.status_code == 403
    assert (await auth.get_user(target.id)).roles == ["cs"]


async def test_the_last_active_admin_stays(client):
    admin = await make_user("admin")
    headers = await bearer(admin.username)
    for change in ({"active": False}, {"roles": ["qa"]}):
        response = await client.patch(f"/api/users/{admin.id}", json=change, headers=headers)
        assert response.status_code == 409, response.text
    other = await make_user("admin")
    response = await client.patch(f"/api/users/{other.id}", json={"active": False}, headers=headers)
    assert response.status_code == 200
    response = await client.patch(f"/api/users/{admin.id}", json={"roles": ["qa"]}, headers=headers)
    assert response.status_code == 409


async def test_unknown_user_is_404_and_unknown_fields_400(client):
    admin = await headers_for("admin")
    assert (await client.patch("/api/users/999999", json={}, headers=admin)).status_code == 404
    user = await make_user("qa")
    response = await client.patch(
        f"/api/users/{user.id}", json={"password": "x" * 20}, headers=admin
    )
    assert response.status_code == 400


async def test_users_are_listed_in_pages(client):
    for _ in range(3):
        await make_user("qa")
    admin = await headers_for("admin")
    everyone = (await client.get("/api/users", headers=admin)).json()
    assert everyone["total"] == 4
    page = (await client.get("/api/users?limit=2&offset=1", headers=admin)).json()
    assert page["total"] == 4
    assert [user["username"] for user in page["items"]] == [
        user["username"] for user in everyone["items"][1:3]
    ]
    first = everyone["items"][0]
    assert {"id", "username", "full_name", "roles", "active", "created_at"} <= set(first)
    assert "password_hash" not in first


# Passwords ---------------------------------------------------------------------------------

WEAK = ["          ", "aaaaaaaaaaaa", "password1234", "short", "Password1234", "bismillah123"]


@pytest.mark.parametrize("password", [*WEAK, "username"])
async def test_weak_passwords_are_refused_naming_the_field(client, password):
    admin = await headers_for("admin")
    name = "budi.santoso"
    password = name if password == "username" else password
    created = await client.post(
        "/api/users",
        json={"username": name, "password": password, "full_name": "Budi", "roles": ["qa"]},
        headers=admin,
    )
    assert created.status_code == 422, created.text
    assert created.json()["field"] == "password"

    user = await make_user("qa", username=name)
    reset = await client.post(
        f"/api/users/{user.id}/password", json={"password": password}, headers=admin
    )
    assert reset.status_code == 422, reset.text
    assert reset.json()["field"] == "password"

    own = await client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": password},
        headers=await bearer(name),
    )
    assert own.status_code == 422, own.text
    assert own.json()["field"] == "new_password"
    assert (await login(client, name)).status_code == 200  # nothing changed


async def test_demo_users_keep_their_short_password():
    user = await auth.create_user(
        SYSTEM, "demo-qa", "demo", "Demo QA", ["qa"], enforce_password_policy=False
    )
    token, _ = await auth.login(user.username, "demo", get_settings().secret_key, 5)
    assert token


# Audit trail -------------------------------------------------------------------------------


async def test_account_changes_are_audited_in_part_11_words(client):
    admin = await make_user("admin")
    admin_headers = await bearer(admin.username)
    user = await make_user("qa")
    await client.patch(
        f"/api/users/{user.id}",
        json={"roles": ["qa", "inspector"], "full_name": "Rina K."},
        headers=admin_headers,
    )
    await client.post(
        f"/api/users/{user.id}/password", json={"password": NEW_PASSWORD}, headers=admin_headers
    )
    await client.post(
        "/api/auth/password",
        json={"current_password": NEW_PASSWORD, "new_password": NEW_PASSWORD + "!"},
        headers=await bearer(user.username, NEW_PASSWORD),
    )
    await client.patch(f"/api/users/{user.id}", json={"active": False}, headers=admin_headers)
    entries = {entry["action"]: entry for entry in await audit_of(client, user.id)}
    assert set(entries) >= {
        "created", "full_name_changed", "roles_changed", "password_reset",
        "password_changed", "deactivated",
    }  # fmt: skip
    roles = entries["roles_changed"]
    assert roles["old_values"]["roles"] == ["qa"]
    assert roles["new_values"]["roles"] == ["inspector", "qa"]
    assert admin.username in roles["actor_name"]
    assert "qa → inspector, qa" in roles["reason"]
    assert "reset by admin" in entries["password_reset"]["reason"]
    assert "changed by the user" in entries["password_changed"]["reason"]
    assert user.username in entries["deactivated"]["reason"]
    text = str(entries)
    for secret in (NEW_PASSWORD, PASSWORD, "argon2"):
        assert secret not in text


async def test_every_role_signs_out_and_changes_its_own_password(client):
    from tests.factories import make_consignee

    consignee = await make_consignee("PBF-OWN")
    user = await make_user("distributor", consignee_code=consignee.code)
    headers = await bearer(user.username)
    response = await client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert response.status_code == 204, response.text
    fresh = await bearer(user.username, NEW_PASSWORD)
    assert (await client.post("/api/auth/logout", headers=fresh)).status_code == 204
    assert (await client.get("/api/notices", headers=fresh)).status_code == 401

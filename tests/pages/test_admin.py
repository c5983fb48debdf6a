"""Administration pages (users, API keys) and the own-password page, driven as a browser would."""

from __future__ import annotations

import re

import pytest

from recall import actors, auth
from recall.settings import get_settings
from tests.factories import (
    PASSWORD,
    make_consignee,
    make_user,
)
from tests.pages.helpers import EN, csrf_token, post_form, sign_in

NEW_PASSWORD = "kereta-api-pagi-17"


@pytest.fixture
async def admin(client):
    user = await make_user("admin")
    await sign_in(client, user.username)
    return user


def marked(html: str, name: str) -> bool:
    field = re.search(rf'<input id="f-{re.escape(name)}"[^>]*>', html, re.S)
    return bool(field) and 'aria-invalid="true"' in field[0] and f"f-{name}-error" in html


async def can_sign_in(username: str, password: str) -> bool:
    settings = get_settings()
    try:
        await auth.login(username, password, settings.secret_key, 5)
    except Exception:
        return False
    return True


@pytest.mark.parametrize("role", ["cs", "qa", "qa_manager", "inspector"])
@pytest.mark.parametrize(
    "path",
    ["/admin", "/admin/users", "/admin/users/1", "/admin/api-keys", "/admin/api-keys/1/revoke"],
)
async def test_only_administrators_open_the_admin_pages(client, role, path):
    user = await make_user(role)
    await sign_in(client, user.username)
    page = await client.get(path, headers=EN)
    assert page.status_code == 403
    assert "Not allowed" in page.text and "<html" in page.text


async def test_a_distributor_is_refused_and_cannot_post_either(client):
    await make_consignee("PBF-JKT-001")
    user = await make_user("distributor", consignee_code="PBF-JKT-001")
    await sign_in(client, user.username)
    assert (await client.get("/admin/api-keys", headers=EN)).status_code == 403
    home = await client.get("/", headers=EN)
    answer = await client.post(
        "/admin/api-keys",
        data={"consignee_code": "PBF-JKT-001", "_csrf_token": csrf_token(home.text)},
        headers=EN,
    )
    assert answer.status_code == 403
    assert await auth.list_api_keys(actors.SYSTEM) == ([], 0)


async def test_signed_out_visitors_are_sent_to_sign_in(client):
    page = await client.get("/admin/users")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=%2Fadmin%2Fusers")


async def test_the_admin_sees_the_section_in_the_bar(client, admin):
    page = await client.get("/", headers=EN)
    assert 'href="/admin"' in page.text and "Administration" in page.text
    listed = await client.get("/admin/users")  # Indonesian by default
    assert "Pengguna" in listed.text and admin.username in listed.text


async def test_forms_without_a_csrf_token_are_refused(client, admin):
    answer = await client.post("/admin/users", data={"username": "x"}, headers=EN)
    assert answer.status_code == 403
    assert "This form has expired" in answer.text


async def test_creating_a_user_checks_the_password_policy_beside_the_field(client, admin):
    data = [
        ("username", "apoteker.budi"),
        ("full_name", "Budi Santoso"),
        ("roles[]", "qa"),
        ("password", "aaaaaaaaaaaaaaa"),
    ]
    refused = await post_form(client, "/admin/users", data)
    assert refused.status_code == 422
    assert marked(refused.text, "password")
    assert "aaaaaaaaaaaaaaa" not in refused.text  # a password is never shown back
    assert 'value="apoteker.budi"' in refused.text
    indonesian = await post_form(client, "/admin/users", data, headers={})
    assert "tidak boleh satu karakter yang diulang" in indonesian.text
    assert '<a href="#f-password">Kata sandi</a>' in indonesian.text  # the label, not the code

    no_role = await post_form(client, "/admin/users", [d for d in data if d[0] != "roles[]"])
    assert no_role.status_code == 422
    assert 'id="f-roles-error"' in no_role.text

    good = [*data[:3], ("roles[]", "inspector"), ("password", NEW_PASSWORD)]
    created = await post_form(client, "/admin/users", good)
    assert created.status_code == 303
    user_page = await client.get(created.headers["location"], headers=EN)
    assert "The user is created." in user_page.text
    assert (
        "Quality assurance, Inspector" in user_page.text or "Inspector, Quality" in user_page.text
    )
    assert await can_sign_in("apoteker.budi", NEW_PASSWORD)

    again = await post_form(client, "/admin/users", good)
    assert again.status_code == 409
    assert "This username is taken" in again.text


async def test_the_admin_changes_roles_resets_a_password_and_deactivates(client, admin):
    user = await make_user("cs")
    path = f"/admin/users/{user.id}"
    changed = await post_form(
        client, path, [("full_name", "Siti Rahma"), ("roles[]", "cs"), ("roles[]", "qa")]
    )
    assert changed.status_code == 303
    assert (await auth.get_user(user.id)).roles == ["cs", "qa"]
    assert (await auth.get_user(user.id)).full_name == "Siti Rahma"

    weak = await post_form(client, f"{path}/password", {"password": user.username}, page=path)
    assert weak.status_code == 422 and marked(weak.text, "password")
    assert await can_sign_in(user.username, PASSWORD)
    reset = await post_form(client, f"{path}/password", {"password": NEW_PASSWORD}, page=path)
    assert reset.status_code == 303
    assert NEW_PASSWORD not in (await client.get(reset.headers["location"])).text
    assert await can_sign_in(user.username, NEW_PASSWORD)
    assert not await can_sign_in(user.username, PASSWORD)

    off = await post_form(client, f"{path}/active", {"active": "false"}, page=path)
    assert off.status_code == 303
    assert "can no longer sign in" in (await client.get(off.headers["location"], headers=EN)).text
    assert not await can_sign_in(user.username, NEW_PASSWORD)
    on = await post_form(client, f"{path}/active", {"active": "true"}, page=path)
    assert on.status_code == 303
    assert await can_sign_in(user.username, NEW_PASSWORD)


async def test_the_last_admin_cannot_deactivate_itself(client, admin):
    path = f"/admin/users/{admin.id}"
    answer = await post_form(client, f"{path}/active", {"active": "false"}, page=path)
    assert answer.status_code == 409
    assert "last active admin" in answer.text
    assert (await auth.get_user(admin.id)).active


async def test_a_key_is_shown_once_and_revoked_after_confirmation(client, admin):
    await make_consignee("PBF-JKT-001")
    unknown = await post_form(client, "/admin/api-keys", {"consignee_code": "NOBODY"})
    assert unknown.status_code == 422 and marked(unknown.text, "consignee_code")

    created = await post_form(client, "/admin/api-keys", {"consignee_code": "PBF-JKT-001"})
    assert created.status_code == 201
    key = re.search(r">(rk_[^<]+)</textarea>", created.text)[1]
    as_key = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/api/notices", headers=as_key)).status_code == 200
    listed = await client.get("/admin/api-keys", headers=EN)
    assert key not in listed.text
    key_id = (await auth.list_api_keys(actors.SYSTEM))[0][0].id
    assert f'href="/admin/api-keys/{key_id}/revoke"' in listed.text

    confirm = await client.get(f"/admin/api-keys/{key_id}/revoke", headers=EN)
    assert "Revoke this key?" in confirm.text
    assert (await client.get("/api/notices", headers=as_key)).status_code == 200  # not yet
    revoked = await post_form(
        client, f"/admin/api-keys/{key_id}/revoke", {}, page=f"/admin/api-keys/{key_id}/revoke"
    )
    assert revoked.status_code == 303
    assert (await client.get("/api/notices", headers=as_key)).status_code == 401
    after = await client.get(revoked.headers["location"], headers=EN)
    assert "The key is revoked" in after.text and "Revoked" in after.text
    twice = await post_form(client, f"/admin/api-keys/{key_id}/revoke", {}, page="/admin/api-keys")
    assert twice.status_code == 409


async def test_a_person_changes_its_own_password_and_stays_signed_in(client):
    user = await make_user("inspector")
    await sign_in(client, user.username)
    wrong = await post_form(
        client,
        "/account/password",
        {"current_password": "not-my-password", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and marked(wrong.text, "current_password")
    weak = await post_form(
        client, "/account/password", {"current_password": PASSWORD, "new_password": "short"}
    )
    assert weak.status_code == 422 and marked(weak.text, "new_password")
    changed = await post_form(
        client, "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 303
    done = await client.get(changed.headers["location"], headers=EN)
    assert done.status_code == 200 and "Your password is changed" in done.text
    assert await can_sign_in(user.username, NEW_PASSWORD)
    assert not await can_sign_in(user.username, PASSWORD)

"""Signing in and out of the pages: session cookie, CSRF, wrong passwords, redirects."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import make_user
from tests.pages.helpers import csrf_token, sign_in


def set_cookies(response: httpx.Response, name: str) -> list[str]:
    return [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]


async def test_login_page_has_labelled_fields_and_a_title(client):
    response = await client.get("/login", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.text
    assert '<label for="username">Username</label>' in html
    assert '<label for="password">Password</label>' in html
    assert ">Sign in</button>" in html
    assert "<title>Sign in · Recall</title>" in html
    assert 'href="#main"' in html  # skip link


async def test_sign_in_sets_an_httponly_samesite_session_and_redirects(client):
    user = await make_user("qa")
    response = await sign_in(client, user.username, next_path="/?tab=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/?tab=1"
    (cookie,) = set_cookies(response, "recall_session")
    attributes = cookie.lower()
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes  # plain http here

    home = await client.get("/")
    assert home.status_code == 200
    assert user.full_name in home.text
    assert "<title>Beranda · Recall</title>" in home.text
    assert "Pemastian mutu (QA)" in home.text


async def test_session_cookie_is_secure_over_https(client):
    user = await make_user("cs")
    async with httpx.AsyncClient(
        transport=client._transport, base_url="https://testserver"
    ) as https_client:
        response = await sign_in(https_client, user.username)
    assert response.status_code == 303
    (cookie,) = set_cookies(response, "recall_session")
    assert "; secure" in cookie.lower()


async def test_wrong_password_shows_the_form_again_with_an_error(client):
    user = await make_user("qa")
    response = await sign_in(client, user.username, password="not the password")
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.text
    assert f'value="{user.username}"' in response.text
    assert not set_cookies(response, "recall_session")
    assert (await client.get("/")).status_code == 303


async def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client):
    response = await sign_in(client, "nobody-here")
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.text


async def test_sign_out_ends_the_session(client):
    user = await make_user("qa")
    await sign_in(client, user.username)
    home = await client.get("/")
    assert home.status_code == 200
    old_session = client.cookies["recall_session"]

    response = await client.post("/logout", data={"_csrf_token": csrf_token(home.text)})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert (await client.get("/")).status_code == 303

    # The old session id is worthless even if someone kept it.
    client.cookies.set("recall_session", old_session, domain="testserver.local")
    assert (await client.get("/")).status_code == 303


async def test_sign_in_gives_a_new_session_id(client):
    user = await make_user("qa")
    client.cookies.set("recall_session", "a" * 64, domain="testserver.local")  # planted
    await sign_in(client, user.username)
    assert client.cookies["recall_session"] != "a" * 64
    assert (await client.get("/")).status_code == 200


async def test_post_without_csrf_token_is_refused(client):
    user = await make_user("qa")
    await client.get("/login")  # the CSRF cookie is set, the form's token is not sent
    response = await client.post(
        "/login", data={"username": user.username, "password": "correct horse battery staple"}
    )
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "Formulir ini sudah kedaluwarsa" in response.text
    assert not set_cookies(response, "recall_session")


async def test_sign_out_without_csrf_token_is_refused(client):
    user = await make_user("qa")
    await sign_in(client, user.username)
    response = await client.post("/logout")
    assert response.status_code == 403
    assert (await client.get("/")).status_code == 200


async def test_page_without_session_redirects_to_login_and_back(client):
    response = await client.get("/?tab=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2F%3Ftab%3D2"

    login = await client.get(response.headers["location"])
    assert 'name="next" value="/?tab=2"' in login.text


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\r\nLocation: https://evil.example",
    ],
)
async def test_next_must_be_a_local_path(client, target):
    user = await make_user("qa")
    response = await sign_in(client, user.username, next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_login_form_does_not_echo_a_foreign_next(client):
    response = await client.get("/login", params={"next": "https://evil.example/"})
    assert 'name="next" value="/"' in response.text


async def test_page_sign_in_is_rate_limited(client, settings):
    statuses = []
    for _ in range(settings.login_attempts_per_minute + 2):
        response = await sign_in(client, "nobody-here")
        statuses.append(response.status_code)
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {401}

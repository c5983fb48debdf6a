"""Sign-in throttling as an attacker tries to get around it: forged X-Forwarded-For, several web
processes, the right password while blocked; and what a legitimate user behind a trusted proxy
keeps being able to do."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest_asyncio

from recall.settings import get_settings
from tests.factories import PASSWORD, headers_of, make_user
from tests.harness import forget_sign_in_counts, running
from tests.pages.helpers import sign_in
from web.app import create_app
from web.sign_in_throttle import SIGN_IN_STORE, client_address

LIMIT = get_settings().login_attempts_per_minute


@pytest_asyncio.fixture(autouse=True)
async def forget_counts() -> AsyncIterator[None]:
    """The counts these tests leave for 127.0.0.1 would throttle later tests' servers."""
    yield

    await forget_sign_in_counts()


@asynccontextmanager
async def app_client(**settings: object) -> AsyncIterator[httpx.AsyncClient]:
    """A web process of its own (same database and Redis), reached from 127.0.0.1."""
    app = create_app(dataclasses.replace(get_settings(), **settings))
    store = app.stores.get(SIGN_IN_STORE)
    await store.delete_all()
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    try:
        async with (
            running(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            yield client
    finally:
        await store.delete_all()


async def attempt(client, username: str, password: str = "wrong", forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return await client.post(
        "/api/auth/login", json={"username": username, "password": password}, headers=headers
    )


async def test_forged_forwarded_for_does_not_reset_the_username_limit(client):
    user = await make_user("qa")
    statuses = [
        (await attempt(client, user.username, forwarded=f"10.0.{i}.{i}")).status_code
        for i in range(LIMIT + 2)
    ]
    assert statuses == [401] * (LIMIT + 1) + [429]


async def test_forged_forwarded_for_does_not_reset_the_address_limit(client):
    statuses = [
        (await attempt(client, f"nobody{i}", forwarded=f"198.51.100.{i % 250}")).status_code
        for i in range(10 * LIMIT + 1)
    ]
    assert statuses[:-1] == [401] * (10 * LIMIT)
    assert statuses[-1] == 429
    assert 0 < int((await attempt(client, "someone-else")).headers["Retry-After"]) <= 60


async def test_as_many_failures_as_the_limit_do_not_block_yet(client):
    # The contract blocks after *more than* the limit of failures within 60 s.
    user = await make_user("qa")
    for _ in range(LIMIT):
        assert (await attempt(client, user.username)).status_code == 401
    assert (await attempt(client, user.username, PASSWORD)).status_code == 200


async def test_a_blocked_username_is_refused_even_with_the_right_password(client):
    user = await make_user("qa")
    for _ in range(LIMIT + 1):
        assert (await attempt(client, user.username)).status_code == 401
    blocked = await attempt(client, user.username, PASSWORD)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 60
    assert "token" not in blocked.json()
    # Upper case and spaces name the same user.
    assert (await attempt(client, f" {user.username.upper()} ", PASSWORD)).status_code == 429


async def test_another_username_from_the_same_address_still_signs_in(client):
    victim, colleague = await make_user("qa"), await make_user("qa")
    for _ in range(LIMIT + 3):
        await attempt(client, victim.username)
    assert (await attempt(client, colleague.username, PASSWORD)).status_code == 200


async def test_successful_sign_ins_do_not_block_the_username(client):
    user = await make_user("qa")
    for _ in range(LIMIT + 2):
        assert (await attempt(client, user.username, PASSWORD)).status_code == 200


async def test_the_page_form_shares_the_limit_and_says_when_to_retry(client):
    user = await make_user("qa")
    for _ in range(LIMIT + 1):
        assert (await attempt(client, user.username)).status_code == 401
    response = await sign_in(client, user.username)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "recall_session" not in response.headers.get("set-cookie", "")


async def test_two_web_processes_share_the_counts():
    user = await make_user("qa")
    async with app_client() as first, app_client() as second:
        for _ in range(LIMIT + 1):
            assert (await attempt(first, user.username)).status_code == 401
        assert (await attempt(second, user.username, PASSWORD)).status_code == 429


async def test_behind_a_trusted_proxy_the_forwarded_address_counts():
    async with app_client(trusted_proxies=("127.0.0.1/32",)) as client:
        # An attacker behind the proxy prepends addresses; the proxy appends the real one.
        for i in range(10 * LIMIT):
            forged = f"10.9.{i % 250}.1, 203.0.113.7"
            assert (await attempt(client, f"user{i}", forwarded=forged)).status_code == 401
        assert (await attempt(client, "x", forwarded="1.2.3.4, 203.0.113.7")).status_code == 429
        # Another client behind the same proxy is not blocked.
        assert (await attempt(client, "x", forwarded="203.0.113.8")).status_code == 401


async def test_behind_a_trusted_proxy_the_username_limit_still_holds():
    user = await make_user("qa")
    async with app_client(trusted_proxies=("127.0.0.0/8",)) as client:
        for i in range(LIMIT + 1):
            forwarded = f"203.0.113.{i + 1}"
            assert (await attempt(client, user.username, forwarded=forwarded)).status_code == 401
        blocked = await attempt(client, user.username, PASSWORD, forwarded="203.0.113.200")
        assert blocked.status_code == 429


def test_client_address_believes_forwarded_for_only_from_trusted_proxies():
    def scope(peer: str, *forwarded: str) -> dict:
        headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
        return {"client": (peer, 1234), "headers": headers}

    assert client_address(scope("127.0.0.1", "6.6.6.6"), ()) == "127.0.0.1"
    assert client_address(scope("192.0.2.1", "6.6.6.6"), ("10.0.0.0/8",)) == "192.0.2.1"
    trusted = ("10.0.0.0/8", "127.0.0.1/32")
    assert client_address(scope("10.1.1.1", "6.6.6.6, 203.0.113.9"), trusted) == "203.0.113.9"
    assert client_address(scope("10.1.1.1", "203.0.113.9, 10.2.2.2"), trusted) == "203.0.113.9"
    assert client_address(scope("10.1.1.1", "1.1.1.1", "203.0.113.9"), trusted) == "203.0.113.9"
    assert client_address(scope("10.1.1.1"), trusted) == "10.1.1.1"
    assert client_address(scope("10.1.1.1", "10.3.3.3"), trusted) == "10.1.1.1"


async def test_a_username_lockout_is_on_the_audit_trail(client):
    from tests.factories import headers_for

    user = await make_user("qa")
    for _ in range(LIMIT + 2):
        await attempt(client, user.username, "Sup3r-secret-guess")
    trail = await client.get(
        "/api/audit",
        params={"entity": "user", "entity_id": user.id},
        headers=await headers_for("inspector"),
    )
    (locked,) = [e for e in trail.json()["items"] if e["action"] == "sign_in_locked"]
    assert f"after {LIMIT + 1} failed sign-ins" in locked["reason"]
    assert "127.0.0.1" in locked["reason"]
    assert "Sup3r-secret-guess" not in str(locked)


async def test_a_stolen_token_cannot_guess_the_password_through_the_change_form(client):
    # Whoever holds a token may try current passwords: those tries count as failed sign-ins.
    user = await make_user("qa")
    headers = await headers_of(user)
    limit = get_settings().login_attempts_per_minute
    for attempt in range(limit + 1):
        guess = {"current_password": f"guess number {attempt}", "new_password": "x" * 20}
        response = await client.post("/api/auth/password", json=guess, headers=headers)
        assert response.status_code == 422, response.text
    right = {"current_password": PASSWORD, "new_password": "kopi tubruk di pagi hari"}
    response = await client.post("/api/auth/password", json=right, headers=headers)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    sign_in = await client.post(
        "/api/auth/login", json={"username": user.username, "password": PASSWORD}
    )
    assert sign_in.status_code == 429

"""What held up in the outside review, kept by tests that send what an attacker sent: every
API route refuses the roles it does not admit, a distributor never reaches another
consignee's notice by its id, forged or stale bearer tokens are refused, bodies over the
limit are refused before they are read."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from recall import clock, db
from recall.actors import Role
from tests.factories import (
    PASSWORD,
    approved_recall,
    make_consignee,
    make_user,
    recent_batch,
    ship,
)
from tests.reads import notice_ids
from web.app import create_app
from web.security import PAGE_PATHS, PUBLIC_PATHS

APP = create_app()
SKIPPED = [re.compile(pattern) for pattern in PUBLIC_PATHS + PAGE_PATHS]
ONE_MIB = 1024 * 1024


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def admitted_roles(handler: Any) -> set[str] | None:
    """The roles a handler's role guards admit together; None when it has no role guard."""
    admitted: set[str] | None = None
    for guard in handler.resolve_guards():
        name = getattr(guard, "__name__", "")
        if name.startswith("requires_"):
            roles = set(name.removeprefix("requires_").split("_or_"))
            admitted = roles if admitted is None else admitted & roles
    return admitted


def api_handlers() -> list[tuple[str, str, Any]]:
    """(method, path, handler) of every API route a signed-in caller may reach."""
    found = []
    for route in APP.routes:
        if any(pattern.match(route.path) for pattern in SKIPPED):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods - {"OPTIONS", "HEAD"}:
                found.append((method, route.path, handler))
    return sorted(found, key=lambda item: (item[1], item[0]))


async def login(client, username: str) -> dict[str, str]:
    answer = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def everyone(client) -> dict[str, dict[str, str]]:
    """A signed-in user of every role (the distributor bound to a consignee)."""
    consignee = await make_consignee()
    headers = {}
    for role in Role:
        code = consignee.code if role == Role.DISTRIBUTOR else None
        user = await make_user(role.value, consignee_code=code)
        headers[role.value] = await login(client, user.username)
    return headers


# Role matrix ---------------------------------------------------------------------------


async def test_every_api_route_refuses_every_role_it_does_not_admit(client):
    headers = await everyone(client)
    checked, let_through = 0, []
    for method, path, handler in api_handlers():
        admitted = admitted_roles(handler)
        if admitted is None:
            continue  # open to any signed-in caller (own password, sign-out)
        for role in sorted(set(headers) - admitted):
            answer = await client.request(method, concrete(path), headers=headers[role])
            checked += 1
            if answer.status_code != 403:
                let_through.append(f"{method} {path} as {role}: {answer.status_code}")
    assert checked > 100
    assert let_through == []


# Another consignee's notice, by id ------------------------------------------------------

NOTICE_BODIES: dict[str, dict[str, Any]] = {
    "stock": {"lines": [{"batch_no": "{batch}", "quantity_on_hand": 1, "quarantined": 1}]},
    "returns": {"lines": [{"batch_no": "{batch}", "quantity": 1}]},
    "sub-consignees": {
        "consignees": [
            {
                "code": "APT-EVIL-01",
                "name": "Apotek Penyusup",
                "kind": "pharmacy",
                "batch_no": "{batch}",
                "quantity": 1,
            }
        ]
    },
}


def filled(body: Any, batch_no: str) -> Any:
    return json.loads(json.dumps(body).replace("{batch}", batch_no))


@pytest.fixture
async def two_consignees(client):
    """A recalled batch shipped to two wholesalers; each has its notice and its user."""

    batch = await recent_batch()
    mine, theirs = await make_consignee("A-PBF"), await make_consignee("B-PBF", name="PBF Lain")
    await ship(batch, mine, 100)
    await ship(batch, theirs, 50)
    await approved_recall(client, batch)
    notices = await notice_ids()
    attacker = await make_user("distributor", consignee_code=mine.code)
    return {
        "batch": batch,
        "mine": notices[mine.id],
        "theirs": notices[theirs.id],
        "headers": await login(client, attacker.username),
    }


async def notice_state(notice_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch("SELECT * FROM notice WHERE id = {}", notice_id)
    lines = await db.fetch("SELECT * FROM notice_line WHERE notice = {} ORDER BY id", notice_id)
    children = await db.fetch("SELECT id FROM notice WHERE via_notice = {}", notice_id)
    return [*rows, *lines, {"children": len(children)}]


async def test_a_distributor_reaches_no_other_consignees_notice_through_any_route(
    client, two_consignees
):
    world = two_consignees
    routes = [
        (method, path)
        for method, path, _handler in api_handlers()
        if path.startswith("/api/notices/{notice_id")
    ]
    assert {path.rsplit("}", 1)[-1] for _method, path in routes} >= {
        "",
        "/acknowledge",
        "/stock",
        "/returns",
        "/sub-consignees",
    }
    before = await notice_state(world["theirs"])
    for method, path in routes:
        action = path.rsplit("/", 1)[-1]
        body = filled(NOTICE_BODIES.get(action, {}), world["batch"].batch_no)
        for notice_id in (world["theirs"], 987_654):
            answer = await client.request(
                method,
                path.replace("{notice_id:int}", str(notice_id)),
                json=body if method == "POST" else None,
                headers=world["headers"],
            )
            assert answer.status_code == 404, (method, path, answer.text)
            assert "PBF Lain" not in answer.text and "B-PBF" not in answer.text
        # The same request on the distributor's own notice is admitted: the 404 is the owner check.
        own = await client.request(
            method,
            path.replace("{notice_id:int}", str(world["mine"])),
            json=body if method == "POST" else None,
            headers=world["headers"],
        )
        assert own.status_code != 404 and own.status_code < 500, (method, path, own.text)
    assert await notice_state(world["theirs"]) == before


# Bearer tokens --------------------------------------------------------------------------


def b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


@pytest.fixture
async def tokens(client):
    """The attacker's own QA token, and the id of an admin it would like to be."""
    attacker = await make_user("qa")
    admin = await make_user("admin")
    headers = await login(client, attacker.username)
    return headers["Authorization"].removeprefix("Bearer "), admin.id


def forged_tokens(own: str, admin_id: int) -> dict[str, str]:
    header, payload, signature = own.split(".")
    as_admin = {**claims_of(own), "sub": str(admin_id)}
    now = datetime.now(UTC)
    fresh = {
        "sub": str(admin_id),
        "iat": now,
        "exp": now + timedelta(hours=1),
        "ver": 0,
        "jti": "0" * 32,
    }
    return {
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(as_admin)}.",
        "alg None, no dot": f"{b64({'alg': 'None', 'typ': 'JWT'})}.{b64(as_admin)}",
        "HS256 with a guessed key": jwt.encode(fresh, "secret", algorithm="HS256"),
        "HS256 with another long key": jwt.encode(fresh, "k" * 64, algorithm="HS256"),
        "payload swapped, signature kept": f"{header}.{b64(as_admin)}.{signature}",
        "signature cut": f"{header}.{payload}.",
        "signature of another token": f"{header}.{payload}.{signature[::-1]}",
    }


NEW_ADMIN = {
    "username": "mallory",
    "password": "Correct-Horse-Battery-9",
    "full_name": "Mallory",
    "roles": ["admin"],
}


@pytest.mark.filterwarnings("ignore:The HMAC key")  # the short guessed key is the point
async def test_forged_tokens_are_401(client, tokens):
    own, admin_id = tokens
    mine = {"Authorization": f"Bearer {own}"}
    assert (await client.get("/api/complaints", headers=mine)).status_code == 200
    assert (await client.post("/api/users", json=NEW_ADMIN, headers=mine)).status_code == 403
    for name, forged in forged_tokens(own, admin_id).items():
        headers = {"Authorization": f"Bearer {forged}"}
        answer = await client.post("/api/users", json=NEW_ADMIN, headers=headers)
        assert answer.status_code == 401, (name, answer.status_code)
        answer = await client.get("/api/complaints", headers=headers)
        assert answer.status_code == 401, (name, answer.status_code)
    assert await db.fetch("SELECT id FROM app_user WHERE username = 'mallory'") == []


async def test_a_token_past_its_expiry_is_401(client):
    user = await make_user("qa")
    long_ago = datetime.now(UTC) - timedelta(days=2)
    clock.set_clock(lambda: long_ago)
    try:
        stale = await login(client, user.username)
    finally:
        clock.set_clock(None)
    answer = await client.get("/api/complaints", headers=stale)
    assert answer.status_code == 401
    assert (
        await client.get("/api/complaints", headers=await login(client, user.username))
    ).status_code == 200


# Input limits --------------------------------------------------------------------------


async def test_every_json_body_over_one_mebibyte_is_413(client):
    headers = await everyone(client)
    big = b'{"x": "' + b"a" * (ONE_MIB + 1) + b'"}'
    checked, accepted = 0, []
    for method, path, handler in api_handlers():
        if (
            method not in {"POST", "PUT", "PATCH"}
            or "data" not in handler.parsed_fn_signature.parameters
        ):
            continue
        limit = handler.resolve_request_max_body_size()
        if limit is not None and limit > ONE_MIB:
            continue  # the shipments import takes files up to its own limit
        admitted = admitted_roles(handler) or {"admin"}
        role = sorted(admitted)[0]
        answer = await client.request(
            method,
            concrete(path),
            content=big,
            headers={**headers[role], "Content-Type": "application/json"},
        )
        checked += 1
        if answer.status_code != 413:
            accepted.append(f"{method} {path}: {answer.status_code}")
    assert checked > 20
    assert accepted == []

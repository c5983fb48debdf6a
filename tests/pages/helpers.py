"""Driving the pages like a browser: read the form's CSRF token, post it back."""

from __future__ import annotations

import re

from tests.factories import PASSWORD, make_consignee, make_user, propose, recent_batch, ship

EN = {"Accept-Language": "en"}
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "the page has no CSRF field"
    return found[1]


async def sign_in(client, username: str, password: str = PASSWORD, next_path: str = "/"):
    form = await client.get("/login")
    return await client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "next": next_path,
            "_csrf_token": csrf_token(form.text),
        },
    )


async def signed_in_as(client, *roles: str):
    """Sign the client in afresh as a new user with `roles`; the user."""
    client.cookies.clear()
    user = await make_user(*roles)
    response = await sign_in(client, user.username)
    assert response.status_code == 303, response.text
    return user


async def proposed(client, proposer_headers=None) -> dict:
    """A recall proposed of a batch shipped to a PBF and a pharmacy, waiting for signatures."""
    batch = await recent_batch()
    await ship(batch, await make_consignee("PBF-SIGN"), 400)
    await ship(batch, await make_consignee("APT-SIGN", kind="pharmacy"), 30)
    return await propose(client, headers=proposer_headers, batch_ids=[batch.id])


async def post_form(client, action: str, data, *, page: str | None = None, headers=EN):
    """Post `data` (a dict, or pairs for repeated fields) to `action` as the form on `page`
    (default `action`) would, with the page's CSRF token."""
    shown = await client.get(page or action, headers=headers)
    assert shown.status_code == 200, shown.text
    body: dict[str, list[str]] = {"_csrf_token": [csrf_token(shown.text)]}
    for name, value in data.items() if isinstance(data, dict) else data:
        body.setdefault(name, []).extend(value if isinstance(value, list) else [value])
    return await client.post(action, data=body, headers=headers)

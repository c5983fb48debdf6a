"""Driving the pages like a browser: read the form's CSRF token, post it back."""

from __future__ import annotations

import re

from tests.factories import PASSWORD

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

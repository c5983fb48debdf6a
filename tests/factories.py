"""Test data built through the real use cases."""

from __future__ import annotations

import itertools

from recall import auth
from recall.auth import SYSTEM
from recall.settings import get_settings

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


async def make_user(
    *roles: str, consignee_code: str | None = None, username: str | None = None
) -> auth.User:
    name = username or f"{'-'.join(roles)}{next(_sequence)}".replace("_", "-")
    return await auth.create_user(
        SYSTEM, name, PASSWORD, f"Test {name.title()}", list(roles), consignee_code
    )


async def token_for(*roles: str, consignee_code: str | None = None) -> str:
    user = await make_user(*roles, consignee_code=consignee_code)
    settings = get_settings()
    token, _ = await auth.login(user.username, PASSWORD, settings.secret_key, 60)
    return token


async def headers_for(*roles: str, consignee_code: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token_for(*roles, consignee_code=consignee_code)}"}

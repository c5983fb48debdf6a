"""The approval page after five wrong signature passwords: locked, said so, Retry-After."""

from __future__ import annotations

from tests.factories import PASSWORD
from tests.pages.helpers import EN, csrf_token, proposed, signed_in_as


async def test_the_approval_page_says_signing_is_locked(client):
    recall = await proposed(client)
    await signed_in_as(client, "qa_manager")
    path = f"/recalls/{recall['id']}/approve"

    async def sign(password: str):
        form = await client.get(path, headers=EN)
        data = {"password": password, "meaning": "Approved", "_csrf_token": csrf_token(form.text)}
        return await client.post(path, data=data, headers=EN)

    for _ in range(5):
        assert (await sign("wrong wrong wrong")).status_code == 401
    locked = await sign(PASSWORD)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 14 * 60
    assert "you cannot sign for 15 minutes" in locked.text

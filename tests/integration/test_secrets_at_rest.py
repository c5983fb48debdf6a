"""Portal tokens and webhook secrets are never in the database in clear (finding 11).

Before, `notice.token` held every portal link's token and `consignee.webhook_secret` every
signing secret as they were: anyone reading the database (a backup, a replica, a support
dump) could open every consignee's portal page and forge signed notices.
"""

from __future__ import annotations

import base64
import importlib.util
import json
from pathlib import Path
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from recall import db, keys, masterdata, notices
from recall.db.piccolo_app import APP_CONFIG
from recall.settings import get_settings
from tests.factories import headers_for
from tests.harness import run_recall
from tests.workers.delivery_setup import FakeSender, consignee, deliver_jobs, recall_to

NEW_SECRET_KEY = "rotated-secret-key-" + "y" * 32
MIGRATION = next(Path(__file__).parents[2].glob("recall/db/migrations/*_secrets_at_rest.py"))


async def delivered(sender: FakeSender) -> list[tuple[str, bytes, dict[str, str]]]:
    for outbox_id in await deliver_jobs():
        await notices.deliver(outbox_id, sender)
    return sender.posts


def token_in(body: bytes) -> str:
    return urlsplit(json.loads(body)["portal_url"]).path.rsplit("/", 1)[1]


async def everything_stored() -> str:
    """Every value of every table, as text."""
    texts: list[str] = []
    for table in APP_CONFIG.table_classes:
        for row in await db.fetch(f"SELECT * FROM {table._meta.tablename}"):
            texts += [str(value) for value in row.values() if value is not None]
    return "\n".join(texts)


def in_clear(secret: str) -> list[str]:
    """The forms a secret could be stored in: as given, and its key bytes re-encoded."""
    forms = [secret]
    if secret.startswith("whsec_"):
        raw = base64.b64decode(secret.removeprefix("whsec_"))
        forms += [secret.removeprefix("whsec_"), raw.hex(), base64.urlsafe_b64encode(raw).decode()]
    return forms


async def named_customer(client, receiver) -> tuple[int, str]:
    """The receiver names a new customer with a webhook (Idempotency-Key): its notice, secret."""
    headers = await headers_for("distributor", consignee_code=receiver.code)
    (notice,) = (await client.get("/api/notices", headers=headers)).json()["items"]
    response = await client.post(
        f"/api/notices/{notice['id']}/sub-consignees",
        json={
            "consignees": [
                {
                    "code": "SUB-APT",
                    "name": "Apotek Sub",
                    "kind": "pbf",
                    "webhook_url": "https://hooks.example/SUB-APT",
                    "batch_no": notice["lines"][0]["batch_no"],
                    "quantity": 10,
                }
            ]
        },
        headers={**headers, "Idempotency-Key": "name-sub-1"},
    )
    assert response.status_code == 201, response.text
    (named,) = response.json()["consignees"]
    assert named["webhook_secret"].startswith("whsec_")
    return notice["id"], named["webhook_secret"]


async def test_no_token_or_signing_secret_is_stored_in_clear(client):
    receiver = await consignee("PBF-SEC")
    await recall_to(receiver)
    (post,) = await delivered(FakeSender())
    _, body, headers = post
    # The notice went out signed with the secret shown once, with a link that opens.
    Webhook(receiver.secret).verify(body, headers)
    token = token_in(body)
    assert (await client.get(f"/portal/notices/{token}")).status_code == 200
    notice_id, sub_secret = await named_customer(client, receiver)
    assert await notices.portal_token(notice_id) == token

    stored = await everything_stored()
    tokens = [token] + [await notices.portal_token(n["id"]) for n in await db.fetch(
        "SELECT id FROM notice")]  # fmt: skip
    for secret in [receiver.secret, sub_secret, *tokens]:
        for form in in_clear(secret):
            assert form not in stored, f"{form} is stored in clear"
    assert "whsec_" not in stored

    # A repeat of the naming replays the first answer: the secret shown again, as it was.
    _, again = await named_customer(client, receiver)
    assert again == sub_secret


async def test_a_link_opens_only_by_its_exact_token(client):
    receiver = await consignee("PBF-LNK")
    await recall_to(receiver)
    (post,) = await delivered(FakeSender())
    (row,) = await db.fetch("SELECT token, token_sealed FROM notice")
    token = token_in(post[1])
    # One character off, never the token itself (a token may well end in "A").
    near_miss = token[:-1] + ("B" if token.endswith("A") else "A")
    # What the database holds opens nothing: neither the hash nor the sealed token.
    for guess in (row["token"], row["token_sealed"], near_miss):
        assert (await client.get(f"/portal/notices/{guess}")).status_code == 404


async def test_secrets_rotate_reseals_and_links_and_signatures_survive(client, rotate):
    old_key = get_settings().secret_key
    receiver = await consignee("PBF-ROT")
    await recall_to(receiver)
    (post,) = await delivered(FakeSender())
    token = token_in(post[1])
    notice_id, sub_secret = await named_customer(client, receiver)

    code, out, err = await run_recall(
        "secrets", "rotate",
        RECALL_SECRET_KEY=NEW_SECRET_KEY, RECALL_PREVIOUS_SECRET_KEYS=old_key,
    )  # fmt: skip
    assert code == 0, err
    assert "resealed under the current key" in out
    secrets_id = keys.derive(NEW_SECRET_KEY, keys.WEBHOOK_SECRETS).id
    links_id = keys.derive(NEW_SECRET_KEY, keys.PORTAL_LINKS).id
    rows = await db.fetch("SELECT webhook_secret FROM consignee")
    assert rows and all(row["webhook_secret"].startswith(f"{secrets_id}.") for row in rows)
    rows = await db.fetch("SELECT token_sealed FROM notice")
    assert rows and all(row["token_sealed"].startswith(f"{links_id}.") for row in rows)
    replay = (await db.fetch("SELECT body FROM idempotent_response"))[0]["body"]
    assert f'"webhook_secret":"{secrets_id}.' in replay

    # The old key is gone from this process now: everything still opens with the new one.
    rotate(NEW_SECRET_KEY)
    assert (await client.get(f"/portal/notices/{token}")).status_code == 200
    assert await notices.portal_token(notice_id) == token
    sender = FakeSender()
    await recall_to(receiver)
    for url, body, headers in await delivered(sender):
        secret = receiver.secret if url.endswith("PBF-ROT") else sub_secret
        Webhook(secret).verify(body, headers)
        assert (await client.get(f"/portal/notices/{token_in(body)}")).status_code == 200
    assert sender.posts


async def test_a_link_from_before_a_key_change_opens_while_the_old_key_is_listed(client, rotate):
    old_key = get_settings().secret_key
    receiver = await consignee("PBF-OLD")
    await recall_to(receiver)
    (post,) = await delivered(FakeSender())
    token = token_in(post[1])
    rotate(NEW_SECRET_KEY, old_key)  # the key changed, nothing rotated yet
    (row,) = await db.fetch("SELECT id FROM notice")
    assert await notices.portal_token(row["id"]) == token
    assert (await client.get(f"/portal/notices/{token}")).status_code == 200
    assert (
        masterdata.open_webhook_secret(
            (await db.fetch("SELECT webhook_secret FROM consignee"))[0]["webhook_secret"]
        )
        == receiver.secret
    )


async def test_the_migration_converts_an_installation_with_secrets_in_clear(client):
    receiver = await consignee("PBF-MIG")
    await recall_to(receiver)
    # As the first release stored them.
    legacy_token, legacy_secret = "L" * 43, "whsec_" + base64.b64encode(b"k" * 24).decode()
    await db.fetch("UPDATE notice SET token = {}, token_sealed = ''", legacy_token)
    await db.fetch("UPDATE consignee SET webhook_secret = {}", legacy_secret)
    await db.fetch(
        "INSERT INTO idempotent_response (scope, key, request_hash, status_code, body, "
        "created_at) VALUES ('consignee:1', 'k', 'h', 200, {}, CURRENT_TIMESTAMP)",
        f'{{"id":1,"token":"{legacy_token}","consignees":[{{"webhook_secret":"{legacy_secret}"}}]}}',
    )
    spec = importlib.util.spec_from_file_location("secrets_at_rest", MIGRATION)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    async with db.transaction():
        await migration.convert()

    stored = await everything_stored()
    assert legacy_token not in stored and legacy_secret not in stored
    assert (await client.get(f"/portal/notices/{legacy_token}")).status_code == 200
    (row,) = await db.fetch("SELECT id FROM notice")
    assert await notices.portal_token(row["id"]) == legacy_token
    (secret,) = await db.fetch("SELECT webhook_secret FROM consignee")
    assert masterdata.open_webhook_secret(secret["webhook_secret"]) == legacy_secret
    # Deliveries go on, signed with the secret the consignee has had all along.
    await recall_to(receiver)
    posts = await delivered(FakeSender())
    for _, body, headers in posts:
        Webhook(legacy_secret).verify(body, headers)
    assert legacy_token in {token_in(body) for _, body, _ in posts} and len(posts) == 2

"""`recall secrets rotate`: everything sealed at rest sealed again under the current key.

After RECALL_SECRET_KEY changes (the old one listed in RECALL_PREVIOUS_SECRET_KEYS), values
sealed before still open with the old key; this seals them under the new one, so the old
key can then be dropped. The secrets themselves do not change: consignees keep verifying
with the signing secret they have, and every portal link already sent keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from recall import audit, db, keys, masterdata, sealing
from recall.actors import Actor
from recall.notices import _links as links

REPLAYS_PER_READ = 500


@dataclass(frozen=True)
class Resealed:
    webhook_secrets: int
    portal_tokens: int
    stored_answers: int
    key_ids: dict[str, str]  # purpose → the current key's id


async def reseal_secrets(actor: Actor) -> Resealed:
    """Seal every secret at rest under the current keys; audited with what was done."""
    result = Resealed(
        webhook_secrets=await masterdata.reseal_webhook_secrets(),
        portal_tokens=await links.reseal_tokens(),
        stored_answers=await _reseal_replays(),
        key_ids={
            "webhook_secrets": keys.current(keys.WEBHOOK_SECRETS).id,
            "portal_links": keys.current(keys.PORTAL_LINKS).id,
        },
    )
    async with db.transaction():
        await audit.record(
            actor,
            audit.Change(
                "secrets",
                0,
                "resealed",
                new={
                    "webhook_secrets": result.webhook_secrets,
                    "portal_tokens": result.portal_tokens,
                    "stored_answers": result.stored_answers,
                    "key_ids": result.key_ids,
                },
                reason="secret key rotated",
            ),
        )
    return result


async def _reseal_replays() -> int:
    """Signing secrets inside answers kept for Idempotency-Key replays (sealed there too)."""
    purpose, resealed, after = keys.WEBHOOK_SECRETS, 0, 0
    while True:
        rows = await db.fetch(
            "SELECT id, body FROM idempotent_response WHERE id > {} "
            'AND body LIKE \'%"webhook_secret":"%\' ORDER BY id LIMIT {}',
            after,
            REPLAYS_PER_READ,
        )
        if not rows:
            return resealed
        after = int(rows[-1]["id"])
        for row in rows:
            body = msgspec.json.decode(row["body"])
            changed = False
            for item in body.get("consignees", []) if isinstance(body, dict) else []:
                secret = item.get("webhook_secret")
                if secret and not sealing.is_current(purpose, secret):
                    item["webhook_secret"] = sealing.seal(purpose, sealing.unseal(purpose, secret))
                    changed = True
            if changed:
                await db.fetch(
                    "UPDATE idempotent_response SET body = {} WHERE id = {} AND body = {}",
                    msgspec.json.encode(body).decode(),
                    int(row["id"]),
                    row["body"],
                )
                resealed += 1

"""Consignees' webhook signing secrets: shown once in clear, kept only sealed."""

from __future__ import annotations

import base64
import secrets

from recall import keys, sealing


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def seal_webhook_secret(secret: str) -> str:
    """What the consignee table stores of a signing secret."""
    return sealing.seal(keys.WEBHOOK_SECRETS, secret)


def open_webhook_secret(stored: str) -> str:
    """The signing secret behind a stored (sealed) one."""
    return sealing.unseal(keys.WEBHOOK_SECRETS, stored)


async def reseal_webhook_secrets() -> int:
    """Seal every stored secret again under the current key (after a key change)."""
    return await sealing.reseal_column("consignee", "webhook_secret", keys.WEBHOOK_SECRETS)

"""Keys derived from RECALL_SECRET_KEY, one per purpose, and the ring of keys it replaced.

Each purpose (audit hashes, webhook secrets at rest, portal links, …) gets its own key, so
one leaking through one use says nothing of the others. Every key has a short public id,
stored beside what it protected, so that after a rotation (RECALL_SECRET_KEY changed, the
old one listed in RECALL_PREVIOUS_SECRET_KEYS) old records are still read with their key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from recall.errors import ConfigurationError
from recall.settings import Settings, get_settings

# What a derived key is for; a new use gets a new name, never an existing one.
AUDIT = "recall audit chain v1"
WEBHOOK_SECRETS = "recall webhook secrets v1"
PORTAL_LINKS = "recall portal links v1"


@dataclass(frozen=True)
class Key:
    id: str  # 8 hex digits, safe to store and show
    material: bytes  # 32 bytes, never stored


@lru_cache(maxsize=64)
def derive(secret_key: str, purpose: str) -> Key:
    """The key for `purpose` under one secret key (HKDF-SHA256)."""
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        secret_key.encode()
    )
    key_id = hmac.new(material, b"key id", hashlib.sha256).hexdigest()[:8]
    return Key(key_id, material)


def current(purpose: str, settings: Settings | None = None) -> Key:
    """The key new records are protected with."""
    return derive((settings or get_settings()).secret_key, purpose)


def ring(purpose: str, settings: Settings | None = None) -> dict[str, Key]:
    """Every key that may have protected a stored record, by id: current first."""
    settings = settings or get_settings()
    secrets = (settings.secret_key, *settings.previous_secret_keys)
    return {key.id: key for key in (derive(secret, purpose) for secret in secrets)}


def by_id(purpose: str, key_id: str, settings: Settings | None = None) -> Key:
    """The key with this id; ConfigurationError when it is no longer known."""
    try:
        return ring(purpose, settings)[key_id]
    except KeyError:
        raise ConfigurationError(
            f"key {key_id} ({purpose}) is unknown: list the secret key it came from in "
            "RECALL_PREVIOUS_SECRET_KEYS"
        ) from None

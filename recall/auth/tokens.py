"""Signed, expiring bearer tokens for users and hashed API keys for consignees."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import lru_cache

import jwt

from recall import clock
from recall.errors import NotAuthenticated

API_KEY_PREFIX = "rk_"
_ALGORITHM = "HS256"


def issue_token(user_id: int, secret_key: str, ttl_minutes: int) -> str:
    issued = clock.now()
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + timedelta(minutes=ttl_minutes)}
    return jwt.encode(claims, secret_key, algorithm=_ALGORITHM)


def user_id_from_token(token: str, secret_key: str) -> int:
    """The user id a valid token names; NotAuthenticated if forged or expired."""
    user_id, expires = _verified_claims(token, secret_key)
    if clock.now().timestamp() >= expires:
        raise NotAuthenticated("token expired; sign in again")
    return user_id


# Every request of a signed-in client carries the same token: check its signature once.
@lru_cache(maxsize=4096)
def _verified_claims(token: str, secret_key: str) -> tuple[int, int]:
    """(user id, expiry timestamp) of a token whose signature holds."""
    try:
        claims = jwt.decode(
            token,
            secret_key,
            algorithms=[_ALGORITHM],
            # Expiry is checked by the caller against the injected clock, not the system time.
            options={"require": ["sub", "exp"], "verify_exp": False, "verify_iat": False},
        )
        return int(claims["sub"]), int(claims["exp"])
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise NotAuthenticated("token invalid") from None


def new_api_key() -> tuple[str, str, str]:
    """A fresh key as (full key shown once, lookup prefix, SHA-256 to store)."""
    prefix = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, api_key_hash(key)


def api_key_prefix(key: str) -> str:
    parts = key.removeprefix(API_KEY_PREFIX).split("_", 1)
    if not key.startswith(API_KEY_PREFIX) or len(parts) != 2:
        raise NotAuthenticated("API key malformed")
    return parts[0]


def api_key_hash(key: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(api_key_hash(key), stored_hash)

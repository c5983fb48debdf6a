"""Signed, expiring bearer tokens for users and hashed API keys for consignees."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import lru_cache
from typing import NamedTuple

import jwt

from recall import clock
from recall.errors import NotAuthenticated

API_KEY_PREFIX = "rk_"
_ALGORITHM = "HS256"


class TokenClaims(NamedTuple):
    user_id: int
    expires: int
    # The user's credentials version when issued: a password or role change raises it.
    version: int
    # The token's own id, so signing out can end this token alone.
    jti: str | None


def issue_token(user_id: int, secret_key: str, ttl_minutes: int, version: int = 0) -> str:
    issued = clock.now()
    claims = {
        "sub": str(user_id),
        "iat": issued,
        "exp": issued + timedelta(minutes=ttl_minutes),
        "ver": version,
        "jti": secrets.token_hex(16),
    }
    return jwt.encode(claims, secret_key, algorithm=_ALGORITHM)


def token_claims(token: str, secret_key: str) -> TokenClaims:
    """The claims of a valid token; NotAuthenticated if forged or expired."""
    claims = _verified_claims(token, secret_key)
    if clock.now().timestamp() >= claims.expires:
        raise NotAuthenticated("token expired; sign in again")
    return claims


def user_id_from_token(token: str, secret_key: str) -> int:
    """The user id a valid token names; NotAuthenticated if forged or expired."""
    return token_claims(token, secret_key).user_id


# Every request of a signed-in client carries the same token: check its signature once.
@lru_cache(maxsize=4096)
def _verified_claims(token: str, secret_key: str) -> TokenClaims:
    """The claims of a token whose signature holds."""
    try:
        claims = jwt.decode(
            token,
            secret_key,
            algorithms=[_ALGORITHM],
            # Expiry is checked by the caller against the injected clock, not the system time.
            options={"require": ["sub", "exp"], "verify_exp": False, "verify_iat": False},
        )
        jti = claims.get("jti")
        return TokenClaims(
            int(claims["sub"]),
            int(claims["exp"]),
            int(claims.get("ver", 0)),
            jti if isinstance(jti, str) and len(jti) <= 32 else None,
        )
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

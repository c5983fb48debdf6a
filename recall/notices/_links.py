"""Portal links: each notice's unguessable token, kept only as a hash and sealed.

The token is the consignee's only credential for its portal page. The database holds its
SHA-256 (found by a unique index) and the token sealed under a key derived from
RECALL_SECRET_KEY, so the sender can put the same link in every retry and reminder while
the database alone gives no link away.
"""

from __future__ import annotations

import hashlib
import secrets

from recall import db, keys, sealing


def new_token() -> tuple[str, str, str]:
    """A fresh token: (token, its hash, the token sealed)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token), seal_token(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def seal_token(token: str) -> str:
    return sealing.seal(keys.PORTAL_LINKS, token)


def open_token(sealed: str) -> str:
    """The token behind a notice's sealed one (its link in every message)."""
    return sealing.unseal(keys.PORTAL_LINKS, sealed)


async def portal_token(notice_id: int) -> str:
    """The token of one notice's portal link ("" for no such notice)."""
    rows = await db.fetch("SELECT token_sealed FROM notice WHERE id = {}", notice_id)
    return open_token(rows[0]["token_sealed"]) if rows else ""


async def reseal_tokens() -> int:
    """Seal every notice's token again under the current key; the links stay the same."""
    return await sealing.reseal_column("notice", "token_sealed", keys.PORTAL_LINKS)

"""The browser portal: a notice's link (its token) lets its consignee answer without a login."""

from __future__ import annotations

import re
from dataclasses import dataclass

from recall import db
from recall.actors import Actor, Role
from recall.errors import NotFound
from recall.notices._consignee import CLOSED, PROPOSED
from recall.notices._links import token_hash

# Tokens are secrets.token_urlsafe(32): 43 URL-safe characters; anything else is unknown.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")


@dataclass(frozen=True)
class PortalLink:
    """The notice a portal link opens, and the consignee acting through it."""

    notice_id: int
    consignee_code: str
    consignee_name: str
    # The recall is closed: the link has expired and nothing can change any more.
    expired: bool
    actor: Actor


def portal_actor(consignee_id: int, code: str, name: str) -> Actor:
    """The consignee acting through the portal; audit entries name it `portal:<code>`."""
    return Actor(
        id=None,
        username=f"portal:{code}",
        full_name=name,
        roles=frozenset({Role.DISTRIBUTOR}),
        consignee_id=consignee_id,
    )


async def notice_by_token(token: str) -> PortalLink:
    """The notice behind a portal link; NotFound for a token no notice has.

    The token's hash is looked up by the database's unique index, never compared in
    Python, so the answer's timing says nothing about how close a guess was.
    """
    rows = []
    if TOKEN_PATTERN.fullmatch(token):
        rows = await db.fetch(
            "SELECT n.id AS id, n.consignee AS consignee, c.code AS code, c.name AS name, "
            "rc.status AS recall_status FROM notice n JOIN consignee c ON c.id = n.consignee "
            "JOIN recall rc ON rc.id = n.recall WHERE n.token = {} AND rc.status <> {}",
            token_hash(token),
            PROPOSED,
        )
    if not rows:
        raise NotFound("no notice has this link")
    row = rows[0]
    return PortalLink(
        notice_id=int(row["id"]),
        consignee_code=row["code"],
        consignee_name=row["name"],
        expired=row["recall_status"] == CLOSED,
        actor=portal_actor(int(row["consignee"]), row["code"], row["name"]),
    )

"""Changes a consignee may send twice: the first answer is kept with the change and given again."""

from __future__ import annotations

from dataclasses import dataclass

from recall import clock, db
from recall.actors import Actor
from recall.errors import Forbidden, InvalidInput


@dataclass(frozen=True)
class IdempotencyKey:
    """The key a consignee's client gave one change, as the caller read it.

    `request_hash` fingerprints the request the key came with: the same key with another
    request is refused. `field` names where the key came from, in that refusal;
    `answer_code` is kept with the answer and given back with it. Their meaning is the
    caller's.
    """

    key: str
    request_hash: str
    field: str
    answer_code: int


@dataclass(frozen=True)
class StoredAnswer:
    """The answer given the first time a key was used, given again as it was kept."""

    answer_code: int
    body: bytes


def scope_of(actor: Actor) -> str:
    """Keys are unique per consignee: two consignees may use the same key."""
    if actor.consignee_id is None:
        raise Forbidden("only a consignee's changes can carry an idempotency key")
    return f"consignee:{actor.consignee_id}"


async def stored_answer(scope: str, idempotency: IdempotencyKey) -> StoredAnswer | None:
    """The answer stored for the key, or None when the key is new.

    The same key with a different request is refused: it is a client's mistake, and
    answering with the other request's result would hide it.
    """
    rows = await db.fetch(
        "SELECT request_hash, status_code, body FROM idempotent_response "
        "WHERE scope = {} AND key = {}",
        scope,
        idempotency.key,
    )
    if not rows:
        return None
    row = rows[0]
    if row["request_hash"] != idempotency.request_hash:
        raise InvalidInput(idempotency.field, "this key was already used for a different request")
    return StoredAnswer(int(row["status_code"]), str(row["body"]).encode())


async def store_answer(scope: str, idempotency: IdempotencyKey, body: bytes) -> None:
    """Keep the first answer; must run inside the transaction that made the change."""
    if not db.in_transaction():
        raise RuntimeError("store_answer must run inside the transaction of the change")
    # The status_code column keeps the caller's answer_code.
    await db.fetch(
        "INSERT INTO idempotent_response (scope, key, request_hash, status_code, body, "
        "created_at) VALUES ({}, {}, {}, {}, {}, {})",
        scope,
        idempotency.key,
        idempotency.request_hash,
        idempotency.answer_code,
        body.decode(),
        clock.now(),
    )

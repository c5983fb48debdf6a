"""Idempotency-Key replays for a consignee's POSTs: the first answer is stored with the change."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from recall import clock, db
from recall.actors import Actor
from recall.errors import Forbidden, InvalidInput

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class IdempotencyKey:
    """The key a client sent and the fingerprint of the request it came with."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class StoredAnswer:
    """The answer given the first time a key was used, replayed as it was."""

    status_code: int
    body: bytes


def key_problem(key: str) -> str | None:
    """Why `key` cannot be an Idempotency-Key, or None when it can."""
    if not key.strip():
        return "must not be empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"at most {MAX_KEY_LENGTH} characters"
    return None


def request_hash(method: str, path: str, body: bytes) -> str:
    """A fingerprint of a request: its method, path and body."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), hashlib.sha256(body).digest()):
        # Length-prefixed so that the parts cannot run into each other.
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def scope_of(actor: Actor) -> str:
    """Keys are unique per consignee: two consignees may use the same key."""
    if actor.consignee_id is None:
        raise Forbidden("only a consignee's requests can carry an Idempotency-Key")
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
        raise InvalidInput(HEADER, "this key was already used for a different request")
    return StoredAnswer(int(row["status_code"]), str(row["body"]).encode())


async def store_answer(
    scope: str, idempotency: IdempotencyKey, status_code: int, body: bytes
) -> None:
    """Keep the first answer; must run inside the transaction that made the change."""
    if db.get_engine().current_transaction.get() is None:
        raise RuntimeError("store_answer must run inside the transaction of the change")
    await db.fetch(
        "INSERT INTO idempotent_response (scope, key, request_hash, status_code, body, "
        "created_at) VALUES ({}, {}, {}, {}, {}, {})",
        scope,
        idempotency.key,
        idempotency.request_hash,
        status_code,
        body.decode(),
        clock.now(),
    )

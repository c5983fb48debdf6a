"""The Idempotency-Key of a consignee's POST: the header read, the request fingerprinted, and
the first answer replayed with its status code. The notices context keeps the answers."""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.exceptions import ClientException

from recall.notices import IdempotencyKey, StoredAnswer

HEADER = "Idempotency-Key"
# The column the notices context keeps keys in is this wide.
MAX_KEY_LENGTH = 200

S = TypeVar("S")


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


async def fingerprint(request: Request[Any, Any, Any]) -> str:
    """The request's fingerprint (request_hash)."""
    return request_hash(request.method, request.url.path, await request.body())


def request_key(
    request: Request[Any, Any, Any], key: str, request_fingerprint: str, field: str = HEADER
) -> IdempotencyKey:
    """`key` as the notices context keeps it: a repeat gets the route's status code back."""
    return IdempotencyKey(key, request_fingerprint, field, request.route_handler.status_code)


async def header_key(request: Request[Any, Any, Any]) -> IdempotencyKey | None:
    """The request's Idempotency-Key with its fingerprint; None without the header."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    problem = key_problem(key)
    if problem:
        raise ClientException(f"{HEADER}: {problem}")
    return request_key(request, key, await fingerprint(request))


def replay(struct: type[S], stored: StoredAnswer) -> Response[S]:
    """The first answer to a repeated request, with the status code it was given."""
    return Response(msgspec.json.decode(stored.body, type=struct), status_code=stored.answer_code)

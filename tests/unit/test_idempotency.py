"""Idempotency-Key rules without a database: key limits and request fingerprints (web), the
scope a consignee's keys are unique in (the notices context)."""

import pytest

from recall.actors import Actor, Role
from recall.errors import Forbidden
from recall.notices import _idempotency as kept_answers
from web import idempotency


def actor(consignee_id: int | None) -> Actor:
    return Actor(1, "d", "D", frozenset({Role.DISTRIBUTOR}), consignee_id=consignee_id)


@pytest.mark.parametrize("key", ["a", "k" * 200, "2f0c6e1e-4c1f-4b7e-9c55-0d6c3a6a1f00"])
def test_usable_keys(key):
    assert idempotency.key_problem(key) is None


@pytest.mark.parametrize(
    ("key", "problem"),
    [("", "must not be empty"), ("   ", "must not be empty"), ("k" * 201, "at most 200")],
)
def test_unusable_keys(key, problem):
    assert problem in (idempotency.key_problem(key) or "")


def test_same_request_same_hash():
    first = idempotency.request_hash("POST", "/api/notices/1/acknowledge", b'{"a":1}')
    assert first == idempotency.request_hash("post", "/api/notices/1/acknowledge", b'{"a":1}')
    assert len(first) == 64


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/api/notices/1/acknowledge", b'{"a":1}'),
        ("POST", "/api/notices/2/acknowledge", b'{"a":1}'),
        ("POST", "/api/notices/1/acknowledge", b'{"a":2}'),
        ("POST", "/api/notices/1/acknowledge", b""),
    ],
)
def test_any_difference_changes_the_hash(method, path, body):
    first = idempotency.request_hash("POST", "/api/notices/1/acknowledge", b'{"a":1}')
    assert idempotency.request_hash(method, path, body) != first


def test_parts_cannot_run_into_each_other():
    assert idempotency.request_hash("POST", "/a", b"b") != idempotency.request_hash(
        "POST", "/ab", b""
    )


def test_scope_is_the_consignee():
    assert kept_answers.scope_of(actor(7)) == "consignee:7"
    with pytest.raises(Forbidden):
        kept_answers.scope_of(actor(None))

"""Bad input refused before it is decoded: JSON nested too deep, dates out of any sane range.

msgspec and the standard library recurse per nesting level (60,000 levels end in
RecursionError), and dates near year 1 or 9999 overflow when moved between time zones.
Both are checked here, in one place, for every query string and JSON or form body, so a
new route or field is covered without doing anything.
"""

from __future__ import annotations

import re
from datetime import date
from itertools import accumulate
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from recall.errors import InvalidInput
from recall.rules import DATE_RANGE, FIRST_YEAR, LAST_YEAR, day_in_range

MAX_JSON_DEPTH = 32
# A whole value that is an ISO date or RFC 3339 moment (msgspec's and the pages' formats).
_ISO_DATE = re.compile(r"^\s*[+-]?(\d{4,})-\d{2}-\d{2}(?:[Tt ][0-9:.,+\-Zz ]*)?\s*$", re.ASCII)
# In a JSON body: a string starting with a date (msgspec takes no sign, space or 5-digit year),
# and the same with every digit made 0, for a quick first look.
_FAR_DATE = re.compile(
    rb'"(?:0\d{3}|1[0-8]\d\d|220[1-9]|22[1-9]\d|2[3-9]\d\d|[3-9]\d{3})-\d\d-\d\d'
)
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_ANY_DATE = b'"0000-00-00'
# A JSON string, escapes included (the unrolled form is linear on long strings).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NOT_MARKS = bytes(b for b in range(256) if b not in b'[]{}"')
_STEP = [1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256)]
# Litestar decodes a JSON parameter whatever the Content-Type says, so every body but a
# multipart one (parsed as such, never as JSON) is looked at.
_MULTIPART = b"multipart/"


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when `body` nests arrays or objects deeper than `limit` (brackets in strings aside).

    Strings are cut out first (brackets inside them could hide or fake nesting), then the
    depth is the highest running sum of +1 per opening and -1 per closing bracket; all in C.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    if b'\\"' in body:
        brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    else:
        # Without escaped quotes, quotes alternate open/close: keep only quotes and brackets,
        # drop every `""` (a string without brackets, or two strings meeting), and what lies
        # between the remaining quotes is inside strings. Quicker than a regex.
        marks = body.translate(None, _NOT_MARKS).replace(b'""', b"")
        brackets = b"".join(marks.split(b'"')[::2])
    return len(brackets) > limit and max(accumulate(map(_STEP.__getitem__, brackets))) > limit


def parse_day(field: str, text: str) -> date:
    """A YYYY-MM-DD date a person typed, within 1900-2200, else InvalidInput naming `field`."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(field, "a date such as 2026-01-31") from None
    return day_in_range(day, field)


def _check_text(field: str, value: str) -> None:
    matched = _ISO_DATE.match(value) if len(value) < 40 else None
    if matched and not FIRST_YEAR <= int(matched[1]) <= LAST_YEAR:
        raise InvalidInput(field, f"{DATE_RANGE}, not {value.strip()}")


def _check_tree(node: Any, path: str) -> None:
    if isinstance(node, str):
        _check_text(path or "body", node)
    elif isinstance(node, dict):
        for key, value in node.items():
            _check_tree(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _check_tree(value, f"{path}[{index}]")


def check_query(query: bytes) -> None:
    if query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=False):
            _check_text(name.removesuffix("[]"), value)


def check_body(content_type: bytes, body: bytes) -> None:
    """The body's nesting and dates (JSON or form); malformed bodies are left to the decoder."""
    if json_too_deep(body):
        raise ClientException(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", status_code=400)
    if content_type == b"application/x-www-form-urlencoded":
        check_query(body)
        return
    # Decoded (to name the field) only when a far date may be there; escapes hide digits.
    if b"\\u" in body or (_ANY_DATE in body.translate(_DIGITS_AS_ZERO) and _FAR_DATE.search(body)):
        try:
            tree = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return
        _check_tree(tree, "")


class InputGuard(ASGIMiddleware):
    """Checks the query string and the body before any handler or decoder sees them.

    It runs inside Litestar's exception handling, so its refusals are answered like a
    route's own (JSON for the API, the error page for pages)."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        check_query(scope.get("query_string", b""))
        content_type = b""
        for name, value in scope.get("headers", ()):
            if name == b"content-type":
                content_type = value.split(b";")[0].strip().lower()
        if scope.get("method") in ("GET", "HEAD", "OPTIONS") or content_type.startswith(_MULTIPART):
            await next_app(scope, receive, send)
            return
        messages: list[ReceiveMessage] = []
        body, size, more = [], 0, True
        while more and size <= self.max_body_bytes:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            body.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
        if not more and size <= self.max_body_bytes:
            check_body(content_type, b"".join(body))

        async def replay() -> ReceiveMessage:
            return messages.pop(0) if messages else await receive()

        await next_app(scope, replay, send)

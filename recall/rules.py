"""Small rules every context shares."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlsplit

from recall.errors import InvalidInput

MAX_ID = 2**31 - 1  # Serial is a 32-bit integer on PostgreSQL
# Dates anyone gives: far ones are typing errors, and near year 1 or 9999 they overflow when
# moved between time zones. web.bad_input applies this to every query and body.
FIRST_YEAR, LAST_YEAR = 1900, 2200
DATE_RANGE = f"a date between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31"

E = TypeVar("E", bound=StrEnum)


def day_in_range(day: date, field: str) -> date:
    """`day`, or InvalidInput naming `field` when it is before 1900 or after 2200."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(field, f"{DATE_RANGE}, not {day.isoformat()}")
    return day


# A time someone gives a little ahead of ours is a clock out of step, not the future.
CLOCK_SKEW = timedelta(minutes=5)


def days_late(due_at: datetime, done_at: datetime) -> int | None:
    """Whole days past the due time, at least 1 (one minute late is late by 1 day); None
    when done in time."""
    if done_at <= due_at:
        return None
    return max(1, (done_at - due_at).days)


def time_that_passed(
    moment: datetime | None, field: str, now: datetime, *, since: datetime, since_what: str
) -> datetime:
    """When something happened, in UTC: with its time zone, not after `now` (give or take
    CLOCK_SKEW) and not before `since` (e.g. "the recall was proposed")."""
    if moment is None:
        raise InvalidInput(field, "must not be empty")
    if moment.tzinfo is None:
        raise InvalidInput(field, "must include a time zone (e.g. 2026-03-04T10:00:00+07:00)")
    day_in_range(moment.date(), field)
    moment = moment.astimezone(UTC)
    if moment > now + CLOCK_SKEW:
        raise InvalidInput(field, "must not be in the future")
    if moment < since:
        raise InvalidInput(field, f"must not be before {since_what}")
    return moment


def has_control_characters(value: str) -> bool:
    """Whether `value` holds a control character (newline, tab, NUL, …)."""
    return any(unicodedata.category(char) == "Cc" for char in value)


URL_MAX = 2000


def check_http_url(value: str | None, field: str) -> str | None:
    """An http(s) URL, trimmed; None when blank. Syntax only: where a webhook may point is
    the guarded transport's business."""
    if not value or not value.strip():
        return None
    url = value.strip()
    if len(url) > URL_MAX:
        raise InvalidInput(field, f"at most {URL_MAX} characters")
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        valid = valid and parts.port != 0  # .port raises ValueError when out of range
        # Percent-escapes in a name are decoded by some parsers, not by others: refused.
        valid = valid and ("%" not in parts.netloc.rpartition("@")[2] or "[" in parts.netloc)
    except ValueError:  # e.g. an unclosed IPv6 bracket or a bad port
        valid = False
    # A backslash is where URL parsers disagree on the host (WHATWG reads it as a slash).
    if not valid or has_control_characters(url) or " " in url or "\\" in url:
        raise InvalidInput(field, "must be an http:// or https:// URL")
    return url


def text(
    value: str | None, field: str, max_length: int, *, required: bool = True, one_line: bool = False
) -> str | None:
    """Trimmed text within `max_length`; blank optional text becomes None.

    NUL is always refused (PostgreSQL text cannot hold it); `one_line` text takes no
    control characters at all.
    """
    trimmed = (value or "").strip()
    if not trimmed:
        if required:
            raise InvalidInput(field, "must not be empty")
        return None
    if len(trimmed) > max_length:
        raise InvalidInput(field, f"at most {max_length} characters")
    if "\x00" in trimmed or (one_line and has_control_characters(trimmed)):
        raise InvalidInput(field, "must not contain control characters")
    return trimmed


def required_text(value: str | None, field: str, max_length: int, *, one_line: bool = False) -> str:
    """Text that must say something: trimmed, within `max_length`, no NUL (see `text`)."""
    checked = text(value, field, max_length, one_line=one_line)
    assert checked is not None  # required text is never None
    return checked


def choice(kind: type[E], value: str, field: str) -> E:
    """`value` as a member of `kind`; InvalidInput naming `field` and the choices otherwise."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(field, f"one of {allowed}") from None


def is_valid_id(value: int) -> bool:
    """Whether `value` can be a row id at all (larger values would overflow the query)."""
    return 1 <= value <= MAX_ID


def check_ids(ids: Iterable[int], field: str, *, at_least: int, at_most: int) -> list[int]:
    """Distinct ids in the order given; InvalidInput naming `field` when out of range."""
    distinct = list(dict.fromkeys(ids))
    if len(distinct) < at_least:
        raise InvalidInput(field, f"at least {at_least} id required")
    if len(distinct) > at_most:
        raise InvalidInput(field, f"at most {at_most} ids")
    bad = [value for value in distinct if isinstance(value, bool) or not is_valid_id(value)]
    if bad:
        raise InvalidInput(field, f"not a valid id: {', '.join(map(str, bad))}")
    return distinct


@dataclass(frozen=True)
class ReferenceScheme:
    """Human references like CMP-2026-000123: a prefix, the UTC year, a yearly number."""

    prefix: str
    digits: int

    def counter(self, at: datetime) -> str:
        """The yearly counter behind the references: the prefix and the year in UTC."""
        return f"{self.prefix}-{at.astimezone(UTC).year}"

    def format(self, at: datetime, number: int) -> str:
        """The reference for the `number`th entry of the year of `at` (UTC)."""
        if number < 1:
            raise ValueError("reference numbers start at 1")
        return f"{self.counter(at)}-{number:0{self.digits}d}"

"""The one source of "now", so tests can move time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from recall.settings import get_settings

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time in UTC."""
    return _now()


def today() -> date:
    """The plant's date now: today in the configured time zone."""
    return now().astimezone(ZoneInfo(get_settings().time_zone)).date()


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Replace the time source (tests); None restores the system clock."""
    global _now
    _now = source or (lambda: datetime.now(UTC))

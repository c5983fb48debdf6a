"""The plant's today: the calendar date in the configured time zone, not in UTC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from recall import clock


@pytest.fixture
def at_moment() -> Iterator[None]:
    yield
    clock.set_clock(None)


def test_today_is_the_plants_date_once_utc_is_still_on_the_day_before(at_moment: None) -> None:
    clock.set_clock(lambda: datetime(2026, 3, 1, 18, 30, tzinfo=UTC))  # 01:30 in Jakarta
    assert clock.today() == date(2026, 3, 2)


def test_today_follows_the_clock_before_midnight_on_the_plant(at_moment: None) -> None:
    clock.set_clock(lambda: datetime(2026, 3, 1, 16, 59, tzinfo=UTC))  # 23:59 in Jakarta
    assert clock.today() == date(2026, 3, 1)

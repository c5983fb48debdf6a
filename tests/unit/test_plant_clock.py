"""The plant's today: the calendar date in the configured time zone, not in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from recall import clock


def test_today_is_the_plants_date_once_utc_is_still_on_the_day_before(
    frozen_clock: list[datetime],
) -> None:
    frozen_clock[0] = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)  # 01:30 in Jakarta
    assert clock.today() == date(2026, 3, 2)


def test_today_follows_the_clock_before_midnight_on_the_plant(frozen_clock: list[datetime]) -> None:
    frozen_clock[0] = datetime(2026, 3, 1, 16, 59, tzinfo=UTC)  # 23:59 in Jakarta
    assert clock.today() == date(2026, 3, 1)

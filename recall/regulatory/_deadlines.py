"""The deadline engine: turns a profile's durations into UTC due times. Pure.

Semantics, judged in the profile's time zone and returned as tz-aware UTC datetimes:

- "N hours"        start + N hours.
- "N days"         calendar days: start + N x 24 hours (likewise "N weeks" = N x 7 x 24 hours).
- "N working days" the end (23:59:59.999999 local) of the Nth working day after the local
                   start day; the start day itself never counts, so a Friday-evening start with
                   "1 working day" is due at the end of Monday. "0 working days" is the end of
                   the start day. Working days skip Saturdays, Sundays and the country's public
                   holidays from the `holidays` library (observed days included) in the
                   profile's holiday categories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from recall.errors import InvalidInput
from recall.regulatory._profiles import (
    RECALL_CLASSES,
    Duration,
    Profile,
    load_profile,
    parse_duration,
)

DEPTHS: tuple[str, ...] = ("wholesale", "retail", "consumer")
_END_OF_DAY = time(23, 59, 59, 999999)


@dataclass(frozen=True)
class Deadline:
    name: str  # notify_consignees, initial_report, *_complete or status_report
    due_at: datetime  # UTC, tz-aware
    rule: str  # human text, e.g. "5 working days (BPOM class I)"


def add_duration(
    start: datetime,
    duration: str,
    country: str,
    time_zone: str,
    *,
    holiday_categories: Sequence[str] = ("public",),
) -> datetime:
    """`start` plus `duration` ("24 hours", "5 working days", "20 days", "2 weeks") in UTC."""
    return _add(start, parse_duration(duration), country, time_zone, tuple(holiday_categories))


def recall_deadlines(
    profile: str, recall_class: str, depth: str, start: datetime
) -> list[Deadline]:
    """Every deadline a recall approved at `start` must meet, earliest first.

    Depth "wholesale" has no retail deadline; the first status report is due one interval
    after `start`. Deadlines the profile leaves out (not applicable) are omitted.
    """
    rules = load_profile(profile)
    if recall_class not in RECALL_CLASSES:
        raise InvalidInput("recall_class", f"must be one of {', '.join(RECALL_CLASSES)}")
    if depth not in DEPTHS:
        raise InvalidInput("depth", f"must be one of {', '.join(DEPTHS)}")
    durations = rules.classes[recall_class]
    wanted: list[tuple[str, Duration | None]] = [
        ("notify_consignees", durations.notify_consignees),
        ("initial_report", durations.initial_report),
        ("wholesale_complete", durations.wholesale_complete),
    ]
    if depth != "wholesale":
        wanted.append(("retail_complete", durations.retail_complete))
    wanted.append(("status_report", durations.status_report_every))
    label = f"({rules.authority} class {recall_class})"
    deadlines = [
        Deadline(
            name=name,
            due_at=due_after(rules, start, duration),
            rule=f"every {duration} {label}" if name == "status_report" else f"{duration} {label}",
        )
        for name, duration in wanted
        if duration is not None
    ]
    return sorted(deadlines, key=lambda deadline: deadline.due_at)


def field_alert_due(profile: str, category: str, received_at: datetime) -> datetime | None:
    """When a Field Alert Report for a complaint in `category` is due, or None when the
    profile has no field alert rule or the category is not one of its categories."""
    rules = load_profile(profile)
    alert = rules.obligations.get("field_alert")
    if alert is None or (alert.categories is not None and category not in alert.categories):
        return None
    return due_after(rules, received_at, alert.within)


def due_after(rules: Profile, start: datetime, duration: Duration) -> datetime:
    """`start` plus `duration` on the profile's calendar, in UTC."""
    return _add(start, duration, rules.country, rules.time_zone, rules.holiday_categories)


def _add(
    start: datetime,
    duration: Duration,
    country: str,
    time_zone: str,
    holiday_categories: tuple[str, ...],
) -> datetime:
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    if duration.unit == "hours":
        return (start + timedelta(hours=duration.amount)).astimezone(UTC)
    if duration.unit == "days":
        return (start + timedelta(days=duration.amount)).astimezone(UTC)
    if duration.unit == "weeks":
        return (start + timedelta(weeks=duration.amount)).astimezone(UTC)
    zone = ZoneInfo(time_zone)
    day = start.astimezone(zone).date()
    closed = _calendar(country, holiday_categories)
    remaining = duration.amount
    while remaining > 0:
        day += timedelta(days=1)
        if _is_working_day(day, closed):
            remaining -= 1
    return datetime.combine(day, _END_OF_DAY, tzinfo=zone).astimezone(UTC)


def _is_working_day(day: date, closed: holidays.HolidayBase) -> bool:
    return day.weekday() < 5 and day not in closed


@lru_cache(maxsize=16)
def _calendar(country: str, categories: tuple[str, ...]) -> holidays.HolidayBase:
    # The calendar fills in each year on first lookup (expand=True), so one object serves all years.
    return holidays.country_holidays(country, categories=categories)

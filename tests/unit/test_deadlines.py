"""The deadline engine: calendar and working-day durations, holidays, zones, depth, field alerts."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recall.errors import InvalidInput
from recall.regulatory import add_duration, field_alert_due, recall_deadlines

JAKARTA = ZoneInfo("Asia/Jakarta")
NEW_YORK = ZoneInfo("America/New_York")
END_OF_DAY = time(23, 59, 59, 999999)
INDONESIA = holidays.country_holidays("ID", categories=("public", "government"))


def end_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=zone).astimezone(UTC)


def in_jakarta(*args: int) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


# -- units --------------------------------------------------------------------------------


def test_hours_are_added_exactly():
    start = datetime(2026, 3, 6, 22, 15, tzinfo=UTC)

    assert add_duration(start, "24 hours", "ID", "Asia/Jakarta") == start + timedelta(hours=24)
    assert add_duration(start, "1 hour", "ID", "Asia/Jakarta") == start + timedelta(hours=1)


def test_calendar_days_are_whole_24_hour_periods_even_over_weekends_and_holidays():
    start = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)  # a Friday; Monday 17 August is a holiday

    assert add_duration(start, "3 days", "ID", "Asia/Jakarta") == datetime(
        2026, 8, 17, 3, tzinfo=UTC
    )


def test_calendar_days_ignore_a_daylight_saving_change():
    start = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)  # New York springs forward on 8 March

    assert add_duration(start, "2 days", "US", "America/New_York") == datetime(
        2026, 3, 9, 12, tzinfo=UTC
    )


def test_weeks_are_calendar_weeks():
    start = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    assert add_duration(start, "2 weeks", "ID", "Asia/Jakarta") == start + timedelta(days=14)


def test_results_are_utc_whatever_zone_the_start_is_in():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=7)))

    due = add_duration(start, "24 hours", "ID", "Asia/Jakarta")

    assert due.utcoffset() == timedelta(0)
    assert due == datetime(2026, 3, 3, 2, tzinfo=UTC)


def test_a_naive_start_is_a_programming_error():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_duration(datetime(2026, 3, 2, 9), "1 day", "ID", "Asia/Jakarta")


def test_an_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="unknown unit"):
        add_duration(datetime(2026, 3, 2, tzinfo=UTC), "3 moons", "ID", "Asia/Jakarta")


# -- working days -------------------------------------------------------------------------


def test_working_days_end_at_the_end_of_the_nth_working_day_after_the_start_day():
    start = in_jakarta(2026, 3, 2, 9, 0)  # Monday

    due = add_duration(start, "2 working days", "ID", "Asia/Jakarta")

    assert due == end_of(date(2026, 3, 4), JAKARTA)
    assert due == datetime(2026, 3, 4, 16, 59, 59, 999999, tzinfo=UTC)


def test_zero_working_days_is_the_end_of_the_start_day():
    start = in_jakarta(2026, 3, 2, 9, 0)

    assert add_duration(start, "0 working days", "ID", "Asia/Jakarta") == end_of(
        date(2026, 3, 2), JAKARTA
    )


def test_working_days_skip_the_weekend():
    start = in_jakarta(2026, 3, 6, 10, 0)  # Friday

    assert add_duration(start, "1 working day", "ID", "Asia/Jakarta") == end_of(
        date(2026, 3, 9), JAKARTA
    )


def test_a_start_on_a_saturday_counts_from_monday():
    start = in_jakarta(2026, 3, 7, 10, 0)

    assert add_duration(start, "1 working day", "ID", "Asia/Jakarta") == end_of(
        date(2026, 3, 9), JAKARTA
    )


def test_working_days_skip_indonesian_independence_day():
    assert date(2026, 8, 17) in INDONESIA  # a Monday
    start = in_jakarta(2026, 8, 14, 10, 0)  # the Friday before

    due = add_duration(start, "5 working days", "ID", "Asia/Jakarta")

    assert due == end_of(date(2026, 8, 24), JAKARTA)  # 18, 19, 20, 21, 24 August


def test_working_days_skip_idul_fitri_as_the_library_dates_it():
    eid = sorted(
        day for day, name in INDONESIA.items() if day.year == 2026 and "Eid al-Fitr" in name
    )
    assert eid, "the holidays library dates Idul Fitri 2026"
    start = in_jakarta(eid[0].year, eid[0].month, eid[0].day, 9, 0) - timedelta(days=1)

    due = add_duration(
        start, "1 working day", "ID", "Asia/Jakarta", holiday_categories=("public", "government")
    ).astimezone(JAKARTA)

    assert due.time() == END_OF_DAY
    assert due.date() > eid[-1]
    assert due.weekday() < 5 and due.date() not in INDONESIA
    skipped = [start.date() + timedelta(days=n) for n in range(1, (due.date() - start.date()).days)]
    assert all(day.weekday() >= 5 or day in INDONESIA for day in skipped)


def test_collective_leave_days_do_not_count_for_bpom():
    # The library lists cuti bersama under its "government" category; BPOM includes it.
    leave = holidays.country_holidays("ID", years=2026, categories=("government",))
    day = next(
        d for d in sorted(leave) if d.weekday() < 5 and d - timedelta(days=1) not in INDONESIA
    )
    start = in_jakarta(day.year, day.month, day.day, 9) - timedelta(days=1)

    with_leave = add_duration(
        start, "1 working day", "ID", "Asia/Jakarta", holiday_categories=("public", "government")
    )
    public_only = add_duration(start, "1 working day", "ID", "Asia/Jakarta")

    assert public_only == end_of(day, JAKARTA)
    assert with_leave > public_only


def test_working_days_skip_a_us_holiday_for_fda():
    thanksgiving = date(2026, 11, 26)
    assert thanksgiving in holidays.country_holidays("US", years=2026)
    received = datetime(2026, 11, 25, 12, 0, tzinfo=NEW_YORK)

    due = field_alert_due("fda", "quality_defect", received.astimezone(UTC))

    assert due == end_of(date(2026, 12, 1), NEW_YORK)  # Friday 27, Monday 30, Tuesday 1
    assert due == datetime(2026, 12, 2, 4, 59, 59, 999999, tzinfo=UTC)


def test_the_local_day_decides_across_the_time_zone_boundary():
    # 20:00 UTC on Monday is already 03:00 on Tuesday in Jakarta.
    start = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)

    due = add_duration(start, "1 working day", "ID", "Asia/Jakarta")

    assert due == end_of(date(2026, 3, 4), JAKARTA)
    assert add_duration(start, "1 working day", "US", "America/New_York") == end_of(
        date(2026, 3, 3), NEW_YORK
    )


@given(
    start=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    days=st.integers(min_value=1, max_value=30),
)
def test_a_working_day_deadline_always_falls_at_the_end_of_a_working_day(start, days):
    due = add_duration(start, f"{days} working days", "ID", "Asia/Jakarta").astimezone(JAKARTA)

    assert due.time() == END_OF_DAY
    assert due.weekday() < 5
    assert due.date() not in holidays.country_holidays("ID")
    assert due.date() > start.astimezone(JAKARTA).date()


# -- recall deadlines ---------------------------------------------------------------------


def test_a_wholesale_recall_has_no_retail_deadline():
    start = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)

    names = [d.name for d in recall_deadlines("bpom", "I", "wholesale", start)]

    assert "retail_complete" not in names
    assert set(names) == {
        "notify_consignees",
        "initial_report",
        "wholesale_complete",
        "status_report",
    }


@pytest.mark.parametrize("depth", ["retail", "consumer"])
def test_retail_and_consumer_recalls_include_the_retail_deadline(depth):
    start = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)

    names = [d.name for d in recall_deadlines("bpom", "I", depth, start)]

    assert "retail_complete" in names


def test_deadlines_are_sorted_and_the_first_status_report_is_one_interval_on():
    start = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)

    deadlines = recall_deadlines("fda", "I", "consumer", start)

    assert [d.due_at for d in deadlines] == sorted(d.due_at for d in deadlines)
    status = next(d for d in deadlines if d.name == "status_report")
    assert status.due_at == start + timedelta(weeks=2)
    assert status.rule == "every 2 weeks (FDA class I)"
    assert all(d.due_at.utcoffset() == timedelta(0) for d in deadlines)


def test_a_deadline_the_profile_leaves_out_is_not_applicable():
    start = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)

    names = [d.name for d in recall_deadlines("fda", "III", "retail", start)]

    assert "retail_complete" not in names


@pytest.mark.parametrize(
    ("profile", "recall_class", "depth", "field"),
    [
        ("mhra", "I", "retail", "profile"),
        ("bpom", "IV", "retail", "recall_class"),
        ("bpom", "I", "pharmacy", "depth"),
    ],
)
def test_unknown_choices_are_invalid_input(profile, recall_class, depth, field):
    with pytest.raises(InvalidInput) as error:
        recall_deadlines(profile, recall_class, depth, datetime(2026, 3, 2, tzinfo=UTC))
    assert error.value.field == field


# -- field alerts -------------------------------------------------------------------------


@pytest.mark.parametrize("category", ["quality_defect", "packaging", "counterfeit"])
def test_fda_field_alert_categories_get_three_working_days(category):
    received = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # Friday, 10:00 in New York

    assert field_alert_due("fda", category, received) == end_of(date(2026, 3, 11), NEW_YORK)


@pytest.mark.parametrize("category", ["adverse_event", "lack_of_efficacy", "other"])
def test_other_categories_have_no_field_alert(category):
    assert field_alert_due("fda", category, datetime(2026, 3, 6, tzinfo=UTC)) is None


@pytest.mark.parametrize("profile", ["bpom", "eu"])
def test_profiles_without_a_field_alert_rule_give_none(profile):
    assert field_alert_due(profile, "quality_defect", datetime(2026, 3, 6, tzinfo=UTC)) is None

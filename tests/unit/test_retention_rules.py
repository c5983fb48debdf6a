"""How long records about batches are kept: the later of expiry + 1 year and manufacture + 5."""

from dataclasses import dataclass
from datetime import date

from recall import masterdata


@dataclass(frozen=True)
class Made:
    manufactured_on: date
    expires_on: date


def test_without_batches_nothing_is_due():
    assert masterdata.retain_until([]) is None


def test_manufacture_plus_five_years_wins_over_a_short_shelf_life():
    assert masterdata.retain_until([Made(date(2026, 1, 15), date(2028, 1, 31))]) == date(
        2031, 1, 15
    )


def test_expiry_plus_one_year_wins_over_a_long_shelf_life():
    assert masterdata.retain_until([Made(date(2026, 1, 15), date(2031, 6, 30))]) == date(
        2032, 6, 30
    )


def test_the_latest_dates_of_all_batches_count():
    batches = [
        Made(date(2020, 3, 1), date(2030, 3, 1)),  # the latest expiry: 2031-03-01
        Made(date(2027, 5, 2), date(2029, 5, 2)),  # the latest manufacture: 2032-05-02
    ]
    assert masterdata.retain_until(batches) == date(2032, 5, 2)


def test_a_leap_day_a_year_later_is_28_february():
    assert masterdata.years_after(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert masterdata.retain_until([Made(date(2024, 2, 1), date(2028, 2, 29))]) == date(2029, 2, 28)


def test_a_leap_day_four_years_later_stays_29_february():
    assert masterdata.years_after(date(2024, 2, 29), 4) == date(2028, 2, 29)

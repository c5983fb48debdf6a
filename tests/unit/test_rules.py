"""The small rules every context shares: text, choices, ids and references."""

from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

import pytest

from recall.errors import InvalidInput
from recall.rules import (
    MAX_ID,
    ReferenceScheme,
    check_ids,
    choice,
    days_late,
    has_control_characters,
    is_valid_id,
    required_text,
    text,
)

JAKARTA = timezone(timedelta(hours=7))


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


# Text ------------------------------------------------------------------------------


def test_text_is_trimmed_and_bounded():
    assert text("  Cloudy syrup  ", "title", 20) == "Cloudy syrup"
    assert text("x" * 10, "title", 10) == "x" * 10
    with pytest.raises(InvalidInput, match=r"^title: at most 10 characters$"):
        text("x" * 11, "title", 10)


def test_blank_text_is_refused_when_required_and_none_otherwise():
    for blank in (None, "", "   ", " \n\t "):
        with pytest.raises(InvalidInput, match=r"^reason: must not be empty$"):
            text(blank, "reason", 100)
        assert text(blank, "reason", 100, required=False) is None


def test_multi_line_text_keeps_newlines_and_tabs_but_never_nul():
    assert text("line one\nline two\tend", "findings", 100) == "line one\nline two\tend"
    with pytest.raises(InvalidInput, match=r"^findings: must not contain control characters$"):
        text("a\x00b", "findings", 100)
    with pytest.raises(InvalidInput, match=r"^findings: must not contain control characters$"):
        text("a\x00b", "findings", 100, required=False)


@pytest.mark.parametrize("bad", ["Budi\nSantoso", "tab\there", "bell\x07", "del\x7f", "nul\x00"])
def test_one_line_text_takes_no_control_characters(bad):
    with pytest.raises(InvalidInput, match=r"^owner: must not contain control characters$"):
        text(bad, "owner", 100, one_line=True)


def test_one_line_text_accepts_ordinary_unicode():
    assert text("Apotek Sehat, Jl. Merdeka No. 5 (Kebayoran Baru)", "name", 100, one_line=True) == (
        "Apotek Sehat, Jl. Merdeka No. 5 (Kebayoran Baru)"
    )


def test_required_text_returns_the_trimmed_text():
    assert required_text("  Contamination  ", "reason", 100) == "Contamination"
    assert required_text("two\nlines", "reason", 100) == "two\nlines"
    with pytest.raises(InvalidInput, match=r"^reason: must not be empty$"):
        required_text("   ", "reason", 100)
    with pytest.raises(InvalidInput, match=r"^name: must not contain control characters$"):
        required_text("two\nlines", "name", 100, one_line=True)


def test_control_characters_are_detected():
    assert has_control_characters("a\nb")
    assert has_control_characters("\x00")
    assert not has_control_characters("Paracetamol 500 mg")


# Choices -----------------------------------------------------------------------------


def test_choice_returns_the_member():
    assert choice(Colour, "green", "colour") is Colour.GREEN


def test_choice_names_the_field_and_lists_the_options():
    with pytest.raises(InvalidInput, match=r"^colour: one of red, green, blue$") as error:
        choice(Colour, "purple", "colour")
    assert error.value.field == "colour"


# Ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid"), [(1, True), (MAX_ID, True), (0, False), (-1, False), (2**31, False)]
)
def test_ids_fit_a_32_bit_serial(value, valid):
    assert MAX_ID == 2**31 - 1
    assert is_valid_id(value) is valid


def test_check_ids_keeps_the_first_of_each_in_order():
    assert check_ids([3, 1, 3, 2], "ids", at_least=1, at_most=5) == [3, 1, 2]
    assert check_ids([], "ids", at_least=0, at_most=5) == []


def test_check_ids_refuses_too_few_too_many_and_bad_ids():
    with pytest.raises(InvalidInput, match=r"^ids: at least 1 id required$"):
        check_ids([], "ids", at_least=1, at_most=5)
    with pytest.raises(InvalidInput, match=r"^ids: at most 2 ids$"):
        check_ids([1, 2, 3], "ids", at_least=1, at_most=2)
    with pytest.raises(InvalidInput, match=r"^ids: not a valid id: 0, 2147483648$"):
        check_ids([0, 1, 2**31], "ids", at_least=1, at_most=5)
    with pytest.raises(InvalidInput, match=r"^ids: not a valid id: True$"):
        check_ids([True], "ids", at_least=1, at_most=5)


# References --------------------------------------------------------------------------


def test_reference_is_prefix_year_and_padded_number():
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    scheme = ReferenceScheme("CMP", 6)
    assert scheme.counter(at) == "CMP-2026"
    assert scheme.format(at, 1) == "CMP-2026-000001"
    assert scheme.format(at, 123) == "CMP-2026-000123"
    assert ReferenceScheme("INV", 4).format(at, 7) == "INV-2026-0007"
    assert ReferenceScheme("INV", 4).format(at, 12345) == "INV-2026-12345"


def test_reference_year_is_the_utc_year():
    # 1 January 00:30 in Jakarta is still 31 December in UTC.
    new_year_in_jakarta = datetime(2027, 1, 1, 0, 30, tzinfo=JAKARTA)
    scheme = ReferenceScheme("RCL", 4)
    assert scheme.counter(new_year_in_jakarta) == "RCL-2026"
    assert scheme.format(new_year_in_jakarta, 1) == "RCL-2026-0001"
    new_york_new_years_eve = datetime(2026, 12, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert scheme.format(new_york_new_years_eve, 1) == "RCL-2027-0001"


def test_reference_numbers_start_at_one():
    with pytest.raises(ValueError):
        ReferenceScheme("CMP", 6).format(datetime(2026, 1, 1, tzinfo=UTC), 0)


def test_schemes_are_frozen_values():
    scheme = ReferenceScheme("CMP", 6)
    assert scheme == ReferenceScheme("CMP", 6)
    with pytest.raises(AttributeError):
        scheme.prefix = "XXX"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("late_by", "expected"),
    [
        (timedelta(0), None),
        (-timedelta(days=2), None),
        (timedelta(minutes=1), 1),
        (timedelta(days=1, hours=23), 1),
        (timedelta(days=3, hours=2), 3),
    ],
)
def test_days_late_counts_whole_days_and_at_least_one(late_by, expected):
    due = datetime(2026, 12, 1, 17, tzinfo=UTC)
    assert days_late(due, due + late_by) == expected

"""Investigation and CAPA rules without a database."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from recall.errors import Conflict, InvalidInput
from recall.investigations._models import (
    REFERENCES,
    CapaKind,
    RootCauseCategory,
    capa_transition,
    check_concludable,
    check_due_on,
    check_editable,
    check_effectiveness_check_due_on,
    investigation_transition,
    is_overdue,
)
from recall.rules import check_ids, choice, text

TODAY = date(2026, 11, 22)


def test_root_cause_categories_are_the_six_ms():
    assert [c.value for c in RootCauseCategory] == [
        "man",
        "machine",
        "material",
        "method",
        "measurement",
        "environment",
    ]
    assert {k.value for k in CapaKind} == {"corrective", "preventive"}


def test_an_open_investigation_concludes_once():
    assert investigation_transition("open", "concluded") == "concluded"
    with pytest.raises(Conflict, match="a concluded investigation cannot become concluded"):
        investigation_transition("concluded", "concluded")
    with pytest.raises(Conflict):
        investigation_transition("concluded", "open")


def test_a_capa_is_done_once():
    assert capa_transition("open", "done") == "done"
    with pytest.raises(Conflict, match="already completed"):
        capa_transition("done", "done")


@pytest.mark.parametrize(
    ("category", "cause", "missing"),
    [
        (None, None, "set root_cause_category and root_cause before"),
        ("material", None, "set root_cause before"),
        (None, "a cause", "set root_cause_category before"),
    ],
)
def test_concluding_needs_the_root_cause(category, cause, missing):
    with pytest.raises(Conflict, match=missing):
        check_concludable("open", category, cause)


def test_concluding_with_a_root_cause_is_allowed_once():
    check_concludable("open", "method", "SOP step skipped")
    with pytest.raises(Conflict, match="concluded"):
        check_concludable("concluded", "method", "SOP step skipped")


def test_only_open_investigations_are_editable():
    check_editable("open")
    with pytest.raises(Conflict, match="concluded"):
        check_editable("concluded")


@pytest.mark.parametrize(
    ("due_on", "status", "overdue"),
    [
        (TODAY - timedelta(days=1), "open", True),
        (TODAY, "open", False),
        (TODAY + timedelta(days=1), "open", False),
        (TODAY - timedelta(days=30), "done", False),
    ],
)
def test_overdue_means_open_and_past_its_day(due_on, status, overdue):
    assert is_overdue(due_on, status, TODAY) is overdue


def test_due_dates_are_today_or_later():
    assert check_due_on(TODAY, TODAY) == TODAY
    with pytest.raises(InvalidInput, match=r"^due_on: must not be in the past"):
        check_due_on(TODAY - timedelta(days=1), TODAY)


def test_effectiveness_checks_are_after_today():
    assert check_effectiveness_check_due_on(None, TODAY) is None
    tomorrow = TODAY + timedelta(days=1)
    assert check_effectiveness_check_due_on(tomorrow, TODAY) == tomorrow
    with pytest.raises(InvalidInput, match=r"^effectiveness_check_due_on: must be after today"):
        check_effectiveness_check_due_on(TODAY, TODAY)


def test_ids_are_distinct_in_order_and_in_range():
    assert check_ids([3, 1, 3, 2], "complaint_ids", at_least=1, at_most=5) == [3, 1, 2]
    assert check_ids([], "affected_batch_ids", at_least=0, at_most=5) == []
    with pytest.raises(InvalidInput, match=r"^complaint_ids: at least 1"):
        check_ids([], "complaint_ids", at_least=1, at_most=5)
    with pytest.raises(InvalidInput, match=r"^complaint_ids: at most 2"):
        check_ids([1, 2, 3], "complaint_ids", at_least=1, at_most=2)
    with pytest.raises(InvalidInput, match="not a valid id: 0, 2147483648"):
        check_ids([0, 1, 2**31], "complaint_ids", at_least=1, at_most=5)


def test_text_is_trimmed_bounded_and_clean():
    assert text("  Cloudy  ", "title", 10) == "Cloudy"
    assert text("  ", "findings", 10, required=False) is None
    assert text("line one\nline two", "findings", 100) == "line one\nline two"
    with pytest.raises(InvalidInput, match=r"^title: must not be empty"):
        text(" ", "title", 10)
    with pytest.raises(InvalidInput, match=r"^title: at most 3 characters"):
        text("four", "title", 3)
    with pytest.raises(InvalidInput, match=r"^owner: must not contain control characters"):
        text("Budi\nSantoso", "owner", 100, one_line=True)
    with pytest.raises(InvalidInput, match=r"^findings: must not contain control"):
        text("a\x00b", "findings", 100)


def test_choices_name_the_field_and_the_options():
    assert choice(RootCauseCategory, "machine", "root_cause_category") is RootCauseCategory.MACHINE
    with pytest.raises(InvalidInput, match=r"^root_cause_category: one of man, machine"):
        choice(RootCauseCategory, "weather", "root_cause_category")


def test_references_count_within_the_utc_year():
    assert REFERENCES.format(datetime(2026, 3, 1, tzinfo=UTC), 7) == "INV-2026-0007"
    assert REFERENCES.format(datetime(2026, 3, 1, tzinfo=UTC), 12345) == "INV-2026-12345"
    jakarta_new_year = datetime(2027, 1, 1, 3, 0, tzinfo=timezone(timedelta(hours=7)))
    assert REFERENCES.format(jakarta_new_year, 1) == "INV-2026-0001"
    with pytest.raises(ValueError):
        REFERENCES.format(jakarta_new_year, 0)

"""Pure rules of triage, replies, closure and the trend window."""

from datetime import UTC, date, datetime, timedelta

import pytest

from recall.complaints import Category, ComplaintStatus, Severity
from recall.complaints._models import (
    check_closable,
    check_reply_allowed,
    decide_triage,
    earliest,
    is_adverse_event,
    trend_window,
)
from recall.errors import Conflict, InvalidInput


def test_a_triage_to_investigate_needs_no_reason():
    triage = decide_triage("quality_defect", "critical", True, None, adverse_event=False)
    assert triage.category is Category.QUALITY_DEFECT
    assert triage.severity is Severity.CRITICAL
    assert triage.investigate is True
    assert triage.reason is None
    assert triage.pharmacovigilance is False


def test_a_reason_given_while_investigating_is_kept_trimmed():
    triage = decide_triage("other", "minor", True, "  customer insists  ", adverse_event=False)
    assert triage.reason == "customer insists"


@pytest.mark.parametrize("reason", [None, "", " \t\n "])
def test_no_investigation_without_a_reason_names_reason(reason):
    with pytest.raises(InvalidInput) as refused:
        decide_triage("packaging", "minor", False, reason, adverse_event=False)
    assert refused.value.field == "reason"


def test_a_reason_is_at_most_5000_characters():
    decide_triage("packaging", "minor", False, "x" * 5000, adverse_event=False)
    with pytest.raises(InvalidInput, match=r"^reason:"):
        decide_triage("packaging", "minor", False, "x" * 5001, adverse_event=False)


@pytest.mark.parametrize(
    ("category", "severity", "field"),
    [("spoiled", "minor", "category"), ("packaging", "fatal", "severity"), ("", "", "category")],
)
def test_unknown_choices_name_their_field(category, severity, field):
    with pytest.raises(InvalidInput) as refused:
        decide_triage(category, severity, True, None, adverse_event=False)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("category", "reported", "flagged"),
    [
        ("adverse_event", False, True),
        ("quality_defect", True, True),
        ("adverse_event", True, True),
        ("quality_defect", False, False),
        (None, False, False),
        (None, True, True),
    ],
)
def test_adverse_events_go_to_pharmacovigilance(category, reported, flagged):
    assert is_adverse_event(category, reported) is flagged
    if category:
        triage = decide_triage(category, "major", True, None, adverse_event=reported)
        assert triage.pharmacovigilance is flagged


def test_earliest_deadline_ignores_profiles_without_one():
    soon = datetime(2026, 3, 2, tzinfo=UTC)
    assert earliest([None, soon + timedelta(days=1), soon, None]) == soon
    assert earliest([None, None]) is None
    assert earliest([]) is None


@pytest.mark.parametrize("status", ["received", "triaged", "under_investigation"])
def test_replies_are_allowed_while_open(status):
    check_reply_allowed(status)


def test_no_reply_to_a_closed_complaint():
    with pytest.raises(Conflict):
        check_reply_allowed("closed")


def test_close_a_triaged_complaint_not_investigated():
    assert check_closable("triaged", False, False) is ComplaintStatus.CLOSED


def test_close_after_the_investigation_concluded():
    assert check_closable("under_investigation", True, True) is ComplaintStatus.CLOSED


@pytest.mark.parametrize(
    ("status", "investigate", "investigation_concluded", "says"),
    [
        ("received", None, False, "triaged"),
        ("triaged", True, False, "investigat"),
        ("under_investigation", True, False, "not concluded"),
        ("closed", False, False, "closed"),
    ],
)
def test_forbidden_closures_say_why(status, investigate, investigation_concluded, says):
    with pytest.raises(Conflict, match=says):
        check_closable(status, investigate, investigation_concluded)


def test_trend_window_defaults_to_twelve_calendar_months():
    assert trend_window(None, None, date(2027, 6, 15)) == (date(2026, 7, 1), date(2027, 6, 15))
    assert trend_window(None, None, date(2027, 1, 1)) == (date(2026, 2, 1), date(2027, 1, 1))
    assert trend_window(None, None, date(2026, 12, 31)) == (date(2026, 1, 1), date(2026, 12, 31))


def test_trend_window_keeps_given_ends():
    assert trend_window(date(2026, 1, 1), date(2026, 1, 1), date(2030, 1, 1)) == (
        date(2026, 1, 1),
        date(2026, 1, 1),
    )
    assert trend_window(date(2026, 1, 1), None, date(2026, 5, 5)) == (
        date(2026, 1, 1),
        date(2026, 5, 5),
    )


def test_trend_window_refuses_from_after_to():
    with pytest.raises(InvalidInput) as refused:
        trend_window(date(2026, 2, 1), date(2026, 1, 31), date(2026, 5, 5))
    assert refused.value.field == "from"


def test_trend_window_near_the_start_of_the_calendar():
    assert trend_window(None, date(1, 3, 1), date(2026, 1, 1))[0] == date.min


def test_complaint_profiles_come_from_the_environment(monkeypatch):
    from recall.errors import ConfigurationError
    from recall.settings import load_settings

    monkeypatch.delenv("RECALL_COMPLAINT_PROFILES", raising=False)
    assert load_settings().complaint_profiles == ("bpom",)
    monkeypatch.setenv("RECALL_COMPLAINT_PROFILES", " BPOM, fda ,,")
    assert load_settings().complaint_profiles == ("bpom", "fda")
    monkeypatch.setenv("RECALL_COMPLAINT_PROFILES", "bpom,who")
    with pytest.raises(ConfigurationError, match="who"):
        load_settings().check()

"""What profiles ask of orders and complaints: names, markets, met_by, obligations."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from recall import regulatory
from recall.errors import ConfigurationError, InvalidInput
from recall.regulatory import (
    OBLIGATION_KINDS,
    PROFILE_NAMES,
    Duration,
    ObligationRule,
    authority_of,
    complaint_obligations,
    field_alert_due,
    load_profile,
    market_of,
    order_start,
    recall_deadlines,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
NEW_YORK = ZoneInfo("America/New_York")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def end_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=zone).astimezone(UTC)


def obligations(profiles, **given):
    received = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    triage = {
        "category": "other",
        "severity": "minor",
        "adverse_event": False,
        "received_at": received,
        "triaged_at": received + timedelta(hours=5),
    }
    return complaint_obligations(profiles, **{**triage, **given})


# -- profile additions ---------------------------------------------------------------------


def test_profiles_name_their_authority_language_and_countries():
    bpom, fda, eu = load_profile("bpom"), load_profile("fda"), load_profile("eu")

    assert (bpom.authority_name, bpom.language, bpom.countries) == (
        "Badan Pengawas Obat dan Makanan",
        "id",
        {"ID"},
    )
    assert (fda.authority_name, fda.language, fda.countries) == (
        "U.S. Food and Drug Administration",
        "en",
        {"US"},
    )
    assert eu.authority_name == "EU competent authority"
    assert eu.language == "en"
    assert len(eu.countries) == 30
    assert {"DE", "FR", "NL", "IS", "LI", "NO"} <= eu.countries
    assert not {"GB", "CH", "ID", "US"} & eu.countries


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_reports_are_met_by_their_submission_kind(name):
    assert dict(load_profile(name).met_by) == {
        "initial_report": "initial_report",
        "status_report": "status_report",
    }


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_shipped_country_codes_are_iso_countries(name):
    for code in load_profile(name).countries:
        assert regulatory.country_code(code) == code


def test_shipped_obligations():
    fda = load_profile("fda").obligations
    assert set(fda) == set(OBLIGATION_KINDS)
    assert fda["field_alert"] == ObligationRule(
        "field_alert",
        Duration(3, "working days"),
        "received",
        "Form FDA 3331a",
        categories=frozenset({"quality_defect", "packaging", "counterfeit"}),
    )
    assert fda["illegitimate_product"].start == "triaged"
    assert fda["illegitimate_product"].within == Duration(24, "hours")
    assert fda["adverse_event_report"].within == Duration(15, "days")
    bpom = load_profile("bpom").obligations
    assert set(bpom) == {"adverse_event_report"}
    assert bpom["adverse_event_report"].form == "e-MESO"
    assert bpom["adverse_event_report"].within == Duration(15, "days")
    assert dict(load_profile("eu").obligations) == {}


def test_a_copy_written_before_the_new_keys_still_loads(profiles_dir):
    path = profiles_dir / "fda.toml"
    text = path.read_text()
    text = text[: text.index("# Reports a complaint makes due")]
    text += '[field_alert]\nwithin = "3 working days"\ncategories = ["quality_defect"]\n'
    for line in (
        'authority_name = "U.S. Food and Drug Administration"\n',
        'language = "en"\n',
        'countries = ["US"]\n',
        '[met_by]\ninitial_report = "initial_report"\nstatus_report = "status_report"\n',
    ):
        assert line in text
        text = text.replace(line, "")
    path.write_text(text)

    fda = load_profile("fda")

    assert (fda.authority_name, fda.language, fda.countries) == ("FDA", "en", {"US"})
    assert fda.met_by["initial_report"] == "initial_report"
    assert set(fda.obligations) == {"field_alert"}
    assert fda.obligations["field_alert"].categories == {"quality_defect"}
    assert fda.obligations["field_alert"].form == "Form FDA 3331a"
    received = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)  # a Friday
    assert field_alert_due("fda", "quality_defect", received) == end_of(date(2026, 3, 11), NEW_YORK)
    assert field_alert_due("fda", "packaging", received) is None


def test_an_obligation_without_conditions_applies_to_every_complaint(profiles_dir):
    edit(
        profiles_dir / "fda.toml",
        'categories = ["quality_defect", "packaging", "counterfeit"]\n',
        "",
    )

    assert field_alert_due("fda", "other", datetime(2026, 3, 6, tzinfo=UTC)) is not None
    kinds = [due.kind for due in obligations(["fda"], category="lack_of_efficacy")]
    assert kinds == ["field_alert"]


BROKEN = [
    ("bpom", 'language = "id"', 'language = "jv"', "language", "must be one of"),
    ("bpom", 'countries = ["ID"]', 'countries = ["Indonesia"]', "countries", "ISO 3166"),
    ("bpom", 'countries = ["ID"]', "countries = []", "countries", "non-empty list"),
    (
        "bpom",
        'authority_name = "Badan Pengawas Obat dan Makanan"',
        'authority_name = " "',
        "authority_name",
        "missing",
    ),
    ("bpom", "[met_by]\n", "[met_by]\nretail = 'status_report'\n", "met_by.retail", "unknown"),
    (
        "bpom",
        'status_report = "status_report"',
        'status_report = "progress"',
        "met_by.status_report",
        "must be one of",
    ),
    (
        "bpom",
        "[obligation.adverse_event_report]",
        "[obligation.adverse_event]",
        "obligation.adverse_event",
        "unknown key",
    ),
    (
        "bpom",
        'within = "15 days"',
        'within = "15 fortnights"',
        "obligation.adverse_event_report.within",
        "unknown unit",
    ),
    (
        "bpom",
        'within = "15 days"\n',
        "",
        "obligation.adverse_event_report.within",
        "missing",
    ),
    (
        "bpom",
        'from = "received"',
        'from = "reported"',
        "obligation.adverse_event_report.from",
        "must be one of",
    ),
    (
        "bpom",
        "adverse_event = true",
        'adverse_event = "yes"',
        "obligation.adverse_event_report.adverse_event",
        "true or false",
    ),
    (
        "bpom",
        'severities = ["critical"]',
        "severities = []",
        "obligation.adverse_event_report.severities",
        "non-empty list",
    ),
    (
        "bpom",
        'form = "e-MESO"',
        "form = 3",
        "obligation.adverse_event_report.form",
        "must be a string",
    ),
    (
        "bpom",
        'form = "e-MESO"',
        'form = "e-MESO"\nwithin_hours = 3',
        "obligation.adverse_event_report.within_hours",
        "unknown key",
    ),
    (
        "fda",
        "\n[obligation.field_alert]\n",
        '\n[field_alert]\nwithin = "1 day"\ncategories = ["other"]\n[obligation.field_alert]\n',
        "field_alert",
        "given twice",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "key", "detail"), BROKEN)
def test_a_broken_addition_names_the_file_and_the_key(profiles_dir, name, old, new, key, detail):
    edit(profiles_dir / f"{name}.toml", old, new)

    with pytest.raises(ConfigurationError) as error:
        load_profile(name)

    message = str(error.value)
    assert str(profiles_dir / f"{name}.toml") in message
    assert f": {key}:" in message
    assert detail in message


# -- BPOM calendar days and orders ---------------------------------------------------------


def test_bpom_class_i_counts_calendar_days():
    start = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)  # Friday 10:00 in Jakarta

    due = {d.name: d for d in recall_deadlines("bpom", "I", "retail", start)}

    # Calendar days: Independence Day (17 August) and the weekends still count.
    assert due["initial_report"].due_at == start + timedelta(days=5)
    assert due["initial_report"].rule == "5 days (BPOM class I)"
    assert due["wholesale_complete"].due_at == start + timedelta(days=20)
    assert due["retail_complete"].due_at == start + timedelta(days=80)


def test_an_installation_may_count_bpom_in_working_days(profiles_dir):
    edit(
        profiles_dir / "bpom.toml", 'initial_report = "5 days"', 'initial_report = "5 working days"'
    )
    start = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)

    due = {d.name: d for d in recall_deadlines("bpom", "I", "retail", start)}

    assert due["initial_report"].due_at == end_of(date(2026, 8, 24), JAKARTA)


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_class_runs_in_order(name):
    for recall_class in ("I", "II", "III"):
        durations = load_profile(name).classes[recall_class]
        start = datetime(2026, 3, 2, tzinfo=UTC)
        due = {d.name: d.due_at for d in recall_deadlines(name, recall_class, "retail", start)}
        assert due["notify_consignees"] <= due["wholesale_complete"]
        if durations.retail_complete is not None:
            assert due["wholesale_complete"] <= due["retail_complete"]


def test_an_order_starts_at_midnight_in_the_profiles_time_zone():
    assert order_start("bpom", date(2026, 8, 14)) == datetime(2026, 8, 13, 17, 0, tzinfo=UTC)
    assert order_start("fda", date(2026, 1, 5)) == datetime(2026, 1, 5, 5, 0, tzinfo=UTC)
    assert order_start("fda", date(2026, 7, 6)) == datetime(2026, 7, 6, 4, 0, tzinfo=UTC)


def test_an_order_deadline_counts_from_the_order_day():
    start = order_start("bpom", date(2026, 8, 14))

    due = {d.name: d for d in recall_deadlines("bpom", "I", "retail", start)}

    assert due["initial_report"].due_at.astimezone(JAKARTA) == datetime(
        2026, 8, 19, 0, 0, tzinfo=JAKARTA
    )


def test_an_unknown_profile_is_invalid_input():
    with pytest.raises(InvalidInput):
        order_start("mhra", date(2026, 1, 1))
    with pytest.raises(InvalidInput):
        obligations(["mhra"])


# -- complaint obligations -----------------------------------------------------------------


def test_field_alert_is_three_working_days_over_a_weekend_and_a_us_holiday():
    received = datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK)  # Wednesday before Thanksgiving

    (due,) = obligations(["fda"], category="quality_defect", received_at=received)

    assert due.kind == "field_alert"
    assert due.profile == "fda"
    assert due.authority == "FDA"
    assert due.form == "Form FDA 3331a"
    assert due.rule == "3 working days from receipt (FDA)"
    # 26 November is Thanksgiving: 27 November, 30 November, 1 December.
    assert due.due_at == end_of(date(2026, 12, 1), NEW_YORK)


@pytest.mark.parametrize("profiles", [["bpom"], ["fda"]])
def test_a_serious_adverse_event_is_due_in_15_calendar_days(profiles):
    received = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)

    (due,) = obligations(profiles, adverse_event=True, severity="critical", received_at=received)

    assert due.kind == "adverse_event_report"
    assert due.due_at == datetime(2026, 3, 21, 10, 0, tzinfo=UTC)
    assert due.rule == f"15 days from receipt ({load_profile(profiles[0]).authority})"


@pytest.mark.parametrize(
    ("adverse_event", "severity"), [(True, "major"), (True, "minor"), (False, "critical")]
)
def test_a_non_serious_or_no_adverse_event_owes_no_report(adverse_event, severity):
    assert obligations(["bpom", "fda"], adverse_event=adverse_event, severity=severity) == []


def test_an_illegitimate_product_is_due_24_hours_from_triage():
    triaged = datetime(2026, 3, 7, 22, 30, tzinfo=UTC)  # a Saturday: hours count anyway

    dues = obligations(["fda"], category="counterfeit", triaged_at=triaged)

    illegitimate = next(due for due in dues if due.kind == "illegitimate_product")
    assert illegitimate.due_at == datetime(2026, 3, 8, 22, 30, tzinfo=UTC)
    assert illegitimate.form == "Form FDA 3911"
    assert illegitimate.rule == "24 hours from triage (FDA)"


def test_a_profile_without_the_kind_gives_none():
    assert obligations(["bpom"], category="counterfeit") == []
    assert (
        obligations(["eu"], category="counterfeit", adverse_event=True, severity="critical") == []
    )
    assert obligations([], category="counterfeit") == []


def test_every_obligation_comes_earliest_first():
    dues = obligations(["fda"], category="counterfeit", adverse_event=True, severity="critical")

    assert [due.kind for due in dues] == [
        "illegitimate_product",
        "field_alert",
        "adverse_event_report",
    ]


def test_two_profiles_give_two_adverse_event_reports_sorted_by_due_time(profiles_dir):
    edit(profiles_dir / "bpom.toml", 'within = "15 days"', 'within = "20 days"')

    dues = obligations(["bpom", "fda"], adverse_event=True, severity="critical")

    assert [(due.kind, due.profile) for due in dues] == [
        ("adverse_event_report", "fda"),
        ("adverse_event_report", "bpom"),
    ]
    assert dues[0].due_at < dues[1].due_at
    assert [due.form for due in dues] == ["Form FDA 3500A", "e-MESO"]


def test_equal_due_times_keep_the_profiles_order():
    dues = obligations(["fda", "bpom"], adverse_event=True, severity="critical")

    assert [due.profile for due in dues] == ["fda", "bpom"]
    assert dues[0].due_at == dues[1].due_at


def test_field_alert_due_is_built_on_the_obligation():
    received = datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK)

    (due,) = obligations(["fda"], category="packaging", received_at=received)

    assert field_alert_due("fda", "packaging", received) == due.due_at
    assert field_alert_due("bpom", "packaging", received) is None


# -- markets and authorities ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "market"),
    [("ID", "bpom"), ("id", "bpom"), ("US", "fda"), ("DE", "eu"), ("NO", "eu"), ("JP", "bpom")],
)
def test_a_country_belongs_to_the_first_profile_covering_it(country, market):
    assert market_of(["bpom", "fda", "eu"], country) == market


def test_a_country_no_profile_covers_falls_to_the_first_profile():
    assert market_of(["fda", "bpom"], "SG") == "fda"
    assert market_of(["eu"], "ID") == "eu"


def test_market_of_needs_a_profile():
    with pytest.raises(InvalidInput) as error:
        market_of([], "ID")
    assert error.value.field == "profiles"


@pytest.mark.parametrize(
    ("text", "profile"),
    [
        ("bpom", "bpom"),
        ("BPOM", "bpom"),
        ("  Badan Pengawas Obat dan  Makanan ", "bpom"),
        ("FDA", "fda"),
        ("u.s. food and drug administration", "fda"),
        ("eu", "eu"),
        ("EU competent authority", "eu"),
    ],
)
def test_an_authority_is_found_by_key_or_name(text, profile):
    assert authority_of(["bpom", "fda", "eu"], text) == profile


@pytest.mark.parametrize("text", ["", "MHRA", "Badan POM Jakarta", "bpom'; --"])
def test_an_unknown_authority_is_none(text):
    assert authority_of(["bpom", "fda", "eu"], text) is None


def test_an_authority_outside_the_profiles_given_is_none():
    assert authority_of(["bpom"], "FDA") is None

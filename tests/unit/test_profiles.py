"""Regulatory profiles: the shipped files load, and a broken file names itself and the key."""

from pathlib import Path

import pytest

from recall.errors import ConfigurationError, InvalidInput
from recall.regulatory import PROFILE_NAMES, RECALL_CLASSES, Duration, load_profile
from recall.regulatory._profiles import parse_duration


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_shipped_profiles_load_with_every_class(name):
    profile = load_profile(name)

    assert profile.name == name
    assert set(profile.classes) == set(RECALL_CLASSES)
    for deadlines in profile.classes.values():
        assert deadlines.notify_consignees is not None
        assert deadlines.status_report_every is not None


def test_only_fda_has_a_field_alert_rule():
    alert = load_profile("fda").field_alert

    assert alert is not None
    assert alert.within == Duration(3, "working days")
    assert alert.categories == {"quality_defect", "packaging", "counterfeit"}
    assert load_profile("bpom").field_alert is None
    assert load_profile("eu").field_alert is None


def test_an_unknown_profile_name_is_invalid_input():
    with pytest.raises(InvalidInput) as error:
        load_profile("mhra")
    assert error.value.field == "profile"


def test_loaded_profiles_are_cached():
    assert load_profile("bpom") is load_profile("bpom")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24 hours", Duration(24, "hours")),
        ("1 hour", Duration(1, "hours")),
        ("20 days", Duration(20, "days")),
        ("1 working day", Duration(1, "working days")),
        ("5 Working Days", Duration(5, "working days")),
        ("2 weeks", Duration(2, "weeks")),
        ("0 days", Duration(0, "days")),
    ],
)
def test_durations_read_every_unit(text, expected):
    assert parse_duration(text) == expected


def test_durations_print_back_in_words():
    assert str(Duration(1, "working days")) == "1 working day"
    assert str(Duration(5, "working days")) == "5 working days"


@pytest.mark.parametrize("text", ["5 fortnights", "-3 days", "five days", "", "days", "3"])
def test_malformed_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_an_installation_folder_replaces_the_shipped_values(profiles_dir):
    edit(profiles_dir / "bpom.toml", 'initial_report = "5 days"', 'initial_report = "3 days"')

    assert load_profile("bpom").classes["I"].initial_report == Duration(3, "days")


def test_a_missing_value_means_not_applicable(profiles_dir):
    edit(profiles_dir / "bpom.toml", 'retail_complete = "80 days"\n', "")

    assert load_profile("bpom").classes["I"].retail_complete is None


@pytest.mark.parametrize(
    ("old", "new", "key", "detail"),
    [
        (
            'initial_report = "5 days"',
            'initial_report = "5 fortnights"',
            "class.I.initial_report",
            "unknown unit",
        ),
        (
            'initial_report = "5 days"',
            'initial_report = "-5 days"',
            "class.I.initial_report",
            "negative",
        ),
        (
            'initial_report = "5 days"',
            "initial_report = 5",
            "class.I.initial_report",
            "must be a string",
        ),
        ("[class.III]", "[class.IV]", "class.IV", "unknown key"),
        (
            'initial_report = "5 days"',
            'inital_report = "5 days"',
            "class.I.inital_report",
            "unknown key",
        ),
        (
            'time_zone = "Asia/Jakarta"',
            'time_zone = "Asia/Atlantis"',
            "time_zone",
            "unknown time zone",
        ),
        ('country = "ID"', 'country = "XX"', "country", "no holiday calendar"),
        (
            'holiday_categories = ["public", "government"]',
            'holiday_categories = ["fun"]',
            "holiday_categories",
            "not supported",
        ),
        ('authority = "BPOM"', "", "authority", "missing"),
    ],
)
def test_a_broken_profile_names_the_file_and_the_key(profiles_dir, old, new, key, detail):
    edit(profiles_dir / "bpom.toml", old, new)

    with pytest.raises(ConfigurationError) as error:
        load_profile("bpom")

    message = str(error.value)
    assert str(profiles_dir / "bpom.toml") in message
    assert f": {key}:" in message
    assert detail in message


def test_a_profile_without_a_class_names_the_missing_class(profiles_dir):
    path = profiles_dir / "eu.toml"
    text = path.read_text()
    path.write_text(text[: text.index("# Class III")])

    with pytest.raises(ConfigurationError, match=r"eu\.toml: class\.III: missing"):
        load_profile("eu")


def test_an_old_field_alert_table_without_categories_is_refused(profiles_dir):
    edit(profiles_dir / "fda.toml", "\n[obligation.field_alert]\n", "\n[field_alert]\n")
    edit(profiles_dir / "fda.toml", 'from = "received"\nform = "Form FDA 3331a"\n', "")
    edit(
        profiles_dir / "fda.toml", 'categories = ["quality_defect", "packaging", "counterfeit"]', ""
    )

    with pytest.raises(ConfigurationError, match=r"fda\.toml: field_alert\.categories"):
        load_profile("fda")


def test_a_file_that_is_not_toml_or_is_missing_is_a_configuration_error(profiles_dir):
    (profiles_dir / "fda.toml").write_text("authority = \n")
    (profiles_dir / "eu.toml").unlink()

    with pytest.raises(ConfigurationError, match=r"fda\.toml: not valid TOML"):
        load_profile("fda")
    with pytest.raises(ConfigurationError, match=r"eu\.toml: cannot read"):
        load_profile("eu")

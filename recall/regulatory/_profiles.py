"""Regulatory profiles: one TOML file per authority, read and validated once.

The shipped files live beside this module in `profiles/`; an installation edits them or
points `RECALL_PROFILES_DIR` at a folder of its own with the same file names.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from recall.errors import ConfigurationError, InvalidInput

PROFILE_NAMES: tuple[str, ...] = ("bpom", "eu", "fda")
RECALL_CLASSES: tuple[str, ...] = ("I", "II", "III")
CLASS_DEADLINES: tuple[str, ...] = (
    "notify_consignees",
    "initial_report",
    "wholesale_complete",
    "retail_complete",
    "status_report_every",
)
OBLIGATION_KINDS: tuple[str, ...] = ("field_alert", "adverse_event_report", "illegitimate_product")
OBLIGATION_STARTS: tuple[str, ...] = ("received", "triaged")
LANGUAGES: tuple[str, ...] = ("id", "en")
# What a recall's deadlines are called (status_report_every makes "status_report").
DEADLINE_KEYS: tuple[str, ...] = (*CLASS_DEADLINES[:-1], "status_report")
SUBMISSION_KINDS: tuple[str, ...] = (
    "initial_report",
    "status_report",
    "final_report",
    "termination_request",
    "public_warning",
)
# Copies written before [met_by] existed keep the meaning they always had.
DEFAULT_MET_BY: Mapping[str, str] = MappingProxyType(
    {"initial_report": "initial_report", "status_report": "status_report"}
)
SHIPPED_DIR = Path(__file__).parent / "profiles"

_DURATION = re.compile(r"^\s*(-?\d+)\s+([a-z ]+?)\s*$")
_UNITS = {
    "hour": "hours",
    "hours": "hours",
    "day": "days",
    "days": "days",
    "working day": "working days",
    "working days": "working days",
    "week": "weeks",
    "weeks": "weeks",
}


@dataclass(frozen=True)
class Duration:
    """An amount of a unit: hours, days (calendar), working days or weeks (calendar)."""

    amount: int
    unit: str

    def __str__(self) -> str:
        singular = self.unit.removesuffix("s")
        return f"{self.amount} {singular if self.amount == 1 else self.unit}"


@dataclass(frozen=True)
class ClassDeadlines:
    """The deadlines of one recall class; None where the profile says not applicable."""

    notify_consignees: Duration | None
    initial_report: Duration | None
    wholesale_complete: Duration | None
    retail_complete: Duration | None
    status_report_every: Duration | None


@dataclass(frozen=True)
class FieldAlert:
    within: Duration
    categories: frozenset[str] | None  # None: every category


@dataclass(frozen=True)
class ObligationRule:
    """A report a complaint makes due: within `within` from its receipt or its triage, for
    the complaints that match every condition given (None: no condition)."""

    kind: str
    within: Duration
    start: str  # "received" or "triaged"
    form: str
    categories: frozenset[str] | None = None
    severities: frozenset[str] | None = None
    adverse_event: bool | None = None

    def applies(self, category: str, severity: str, adverse_event: bool) -> bool:
        return (
            (self.categories is None or category in self.categories)
            and (self.severities is None or severity in self.severities)
            and (self.adverse_event is None or adverse_event == self.adverse_event)
        )


@dataclass(frozen=True)
class Profile:
    name: str
    authority: str
    country: str
    time_zone: str
    holiday_categories: tuple[str, ...]
    classes: dict[str, ClassDeadlines]
    field_alert: FieldAlert | None
    authority_name: str
    language: str
    countries: frozenset[str]
    met_by: Mapping[str, str]
    obligations: Mapping[str, ObligationRule]


def parse_duration(text: str) -> Duration:
    """Read "24 hours", "5 working days", "20 days" or "2 weeks"; ValueError otherwise."""
    match = _DURATION.match(text.lower())
    if match is None:
        raise ValueError(f'{text!r} is not "<number> <unit>" (hours, days, working days, weeks)')
    amount, unit = int(match[1]), match[2]
    if unit not in _UNITS:
        raise ValueError(f"unknown unit {unit!r} (use hours, days, working days or weeks)")
    if amount < 0:
        raise ValueError(f"{text!r} is negative")
    return Duration(amount, _UNITS[unit])


def profiles_dir() -> Path:
    return Path(os.environ.get("RECALL_PROFILES_DIR") or SHIPPED_DIR)


@lru_cache(maxsize=16)
def load_profile(name: str) -> Profile:
    """The validated profile `name`; InvalidInput for an unknown name, ConfigurationError
    naming the file and key when the file is wrong."""
    if name not in PROFILE_NAMES:
        raise InvalidInput(
            "profile", f"unknown profile {name!r}; one of {', '.join(PROFILE_NAMES)}"
        )
    path = profiles_dir() / f"{name}.toml"
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except OSError as error:
        raise ConfigurationError(f"{path}: cannot read the regulatory profile ({error})") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{path}: not valid TOML ({error})") from error
    return _ProfileReader(path).read(name, data)


class _ProfileReader:
    """Validates one file's data; every error names the file and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, detail: str) -> ConfigurationError:
        return ConfigurationError(f"{self.path}: {key}: {detail}")

    def read(self, name: str, data: dict[str, Any]) -> Profile:
        self.no_unknown_keys(
            "",
            data,
            {
                "authority",
                "authority_name",
                "language",
                "countries",
                "country",
                "time_zone",
                "holiday_categories",
                "met_by",
                "class",
                "obligation",
                "field_alert",
            },
        )
        authority = self.text(data, "authority")
        time_zone = self.text(data, "time_zone")
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise self.fail("time_zone", f"unknown time zone {time_zone!r}") from error
        country = self.text(data, "country")
        categories = tuple(self.texts(data, "holiday_categories", default=["public"]))
        try:
            holidays.country_holidays(country, categories=categories)
        except NotImplementedError as error:
            raise self.fail("country", f"no holiday calendar for {country!r}") from error
        except ValueError as error:
            raise self.fail("holiday_categories", str(error)) from error
        obligations = self.obligations(data.get("obligation"), data.get("field_alert"))
        alert = obligations.get("field_alert")
        return Profile(
            name=name,
            authority=authority,
            country=country,
            time_zone=time_zone,
            holiday_categories=categories,
            classes=self.classes(data.get("class")),
            field_alert=FieldAlert(alert.within, alert.categories) if alert else None,
            authority_name=self.text(data, "authority_name")
            if "authority_name" in data
            else authority,
            language=self.language(data, country),
            countries=self.countries(data, country),
            met_by=self.met_by(data.get("met_by")),
            obligations=MappingProxyType(obligations),
        )

    def language(self, data: dict[str, Any], country: str) -> str:
        if "language" not in data:
            return "id" if country == "ID" else "en"
        language = self.text(data, "language")
        if language not in LANGUAGES:
            raise self.fail("language", f"must be one of {', '.join(LANGUAGES)}")
        return language

    def countries(self, data: dict[str, Any], country: str) -> frozenset[str]:
        codes = self.texts(data, "countries", default=[country])
        for code in codes:
            if len(code) != 2 or not code.isalpha() or not code.isupper():
                raise self.fail("countries", f'{code!r} is not an ISO 3166 alpha-2 code like "ID"')
        return frozenset(codes)

    def met_by(self, table: Any) -> Mapping[str, str]:
        if table is None:
            return DEFAULT_MET_BY
        if not isinstance(table, dict):
            raise self.fail("met_by", "must be a table")
        self.no_unknown_keys("met_by.", table, set(DEADLINE_KEYS))
        for key, kind in table.items():
            if kind not in SUBMISSION_KINDS:
                raise self.fail(f"met_by.{key}", f"must be one of {', '.join(SUBMISSION_KINDS)}")
        return MappingProxyType(dict(table))

    def obligations(self, table: Any, old_field_alert: Any) -> dict[str, ObligationRule]:
        if table is None:
            table = {}
        if not isinstance(table, dict):
            raise self.fail("obligation", "must be tables like [obligation.field_alert]")
        self.no_unknown_keys("obligation.", table, set(OBLIGATION_KINDS))
        rules = {kind: self.obligation(kind, entry) for kind, entry in table.items()}
        if old_field_alert is not None:
            if "field_alert" in rules:
                raise self.fail("field_alert", "given twice; keep [obligation.field_alert] only")
            rules["field_alert"] = self.field_alert(old_field_alert)
        return rules

    def obligation(self, kind: str, entry: Any) -> ObligationRule:
        key = f"obligation.{kind}"
        if not isinstance(entry, dict):
            raise self.fail(key, "must be a table")
        self.no_unknown_keys(
            f"{key}.",
            entry,
            {"within", "categories", "severities", "adverse_event", "from", "form"},
        )
        if "within" not in entry:
            raise self.fail(f"{key}.within", "missing")
        start = entry.get("from", "received")
        if start not in OBLIGATION_STARTS:
            raise self.fail(f"{key}.from", f"must be one of {', '.join(OBLIGATION_STARTS)}")
        adverse_event = entry.get("adverse_event")
        if adverse_event is not None and not isinstance(adverse_event, bool):
            raise self.fail(f"{key}.adverse_event", "must be true or false")
        form = entry.get("form", "")
        if not isinstance(form, str):
            raise self.fail(f"{key}.form", "must be a string")
        return ObligationRule(
            kind=kind,
            within=self.duration(entry, "within", key),
            start=start,
            form=form,
            categories=self.optional_set(entry, "categories", key),
            severities=self.optional_set(entry, "severities", key),
            adverse_event=adverse_event,
        )

    def optional_set(self, table: dict[str, Any], key: str, prefix: str) -> frozenset[str] | None:
        if key not in table:
            return None
        return frozenset(self.texts(table, key, default=None, prefix=f"{prefix}."))

    def classes(self, table: Any) -> dict[str, ClassDeadlines]:
        if not isinstance(table, dict):
            raise self.fail("class", "missing; needs tables [class.I], [class.II], [class.III]")
        self.no_unknown_keys("class.", table, set(RECALL_CLASSES))
        classes = {}
        for recall_class in RECALL_CLASSES:
            key = f"class.{recall_class}"
            entry = table.get(recall_class)
            if not isinstance(entry, dict):
                raise self.fail(key, "missing recall class table")
            self.no_unknown_keys(f"{key}.", entry, set(CLASS_DEADLINES))
            durations = {
                deadline: self.duration(entry, deadline, key)
                for deadline in CLASS_DEADLINES
                if deadline in entry
            }
            classes[recall_class] = ClassDeadlines(
                **{deadline: durations.get(deadline) for deadline in CLASS_DEADLINES}
            )
        return classes

    def field_alert(self, table: Any) -> ObligationRule:
        # The table written before [obligation.*] existed: FDA's form, counted from receipt.
        if not isinstance(table, dict):
            raise self.fail("field_alert", "must be a table")
        self.no_unknown_keys("field_alert.", table, {"within", "categories"})
        if "within" not in table:
            raise self.fail("field_alert.within", "missing")
        within = self.duration(table, "within", "field_alert")
        categories = self.texts(table, "categories", default=None, prefix="field_alert.")
        return ObligationRule(
            "field_alert", within, "received", "Form FDA 3331a", categories=frozenset(categories)
        )

    def duration(self, table: dict[str, Any], key: str, prefix: str) -> Duration:
        value = table[key]
        if not isinstance(value, str):
            raise self.fail(f"{prefix}.{key}", 'must be a string like "5 working days"')
        try:
            return parse_duration(value)
        except ValueError as error:
            raise self.fail(f"{prefix}.{key}", str(error)) from error

    def text(self, table: dict[str, Any], key: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "missing or not a string")
        return value

    def texts(
        self, table: dict[str, Any], key: str, default: list[str] | None, prefix: str = ""
    ) -> list[str]:
        value = table.get(key, default)
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(item, str) and item for item in value)
        ):
            raise self.fail(prefix + key, "must be a non-empty list of strings")
        return value

    def no_unknown_keys(self, prefix: str, table: dict[str, Any], known: set[str]) -> None:
        # A misspelt key would otherwise silently drop a deadline.
        for key in table:
            if key not in known:
                raise self.fail(
                    prefix + key, f"unknown key; expected one of {', '.join(sorted(known))}"
                )

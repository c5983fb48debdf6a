"""Regulatory profiles: one TOML file per authority, read and validated once.

The shipped files live beside this module in `profiles/`; an installation edits them or
points `RECALL_PROFILES_DIR` at a folder of its own with the same file names.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
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
    categories: frozenset[str]


@dataclass(frozen=True)
class Profile:
    name: str
    authority: str
    country: str
    time_zone: str
    holiday_categories: tuple[str, ...]
    classes: dict[str, ClassDeadlines]
    field_alert: FieldAlert | None


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
            {"authority", "country", "time_zone", "holiday_categories", "class", "field_alert"},
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
        return Profile(
            name=name,
            authority=authority,
            country=country,
            time_zone=time_zone,
            holiday_categories=categories,
            classes=self.classes(data.get("class")),
            field_alert=self.field_alert(data.get("field_alert")),
        )

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

    def field_alert(self, table: Any) -> FieldAlert | None:
        if table is None:
            return None
        if not isinstance(table, dict):
            raise self.fail("field_alert", "must be a table")
        self.no_unknown_keys("field_alert.", table, {"within", "categories"})
        if "within" not in table:
            raise self.fail("field_alert.within", "missing")
        within = self.duration(table, "within", "field_alert")
        categories = self.texts(table, "categories", default=None, prefix="field_alert.")
        return FieldAlert(within, frozenset(categories))

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

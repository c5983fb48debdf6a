"""What a proposal says about the authorities: its markets, the order letter, the public
warning; and the deadlines its approval sets for each market."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from recall import clock, db, regulatory
from recall.errors import InvalidInput
from recall.recalls._models import (
    DeadlineBasis,
    Depth,
    PublicWarningLevel,
    RecallClass,
    RecallType,
)
from recall.rules import choice, day_in_range


def checked_profiles(profile: str | None, profiles: Sequence[str] | None) -> list[str]:
    """The recall's profiles, first one first: `profiles`, or `profile` alone."""
    if profiles is None:
        if profile is None:
            raise InvalidInput("profile", "give profile or profiles")
        return [regulatory.load_profile(profile).name]
    names = list(profiles)
    if not names:
        raise InvalidInput("profiles", "must not be empty")
    if len(set(names)) != len(names):
        raise InvalidInput("profiles", "name each profile once")
    for name in names:
        if name not in regulatory.PROFILE_NAMES:
            raise InvalidInput(
                "profiles",
                f"unknown profile {name[:20]!r}; one of {', '.join(regulatory.PROFILE_NAMES)}",
            )
        regulatory.load_profile(name)
    if profile is not None and profile != names[0]:
        raise InvalidInput("profiles", "profile, when given too, must be the first of profiles")
    return names


def checked_order(recall_type: str, ordered_on: date | None) -> date | None:
    """The order letter's date: required for a mandatory recall, refused for a voluntary one."""
    if recall_type != RecallType.MANDATORY:
        if ordered_on is not None:
            raise InvalidInput("ordered_on", "only a mandatory recall has an order date")
        return None
    if ordered_on is None:
        raise InvalidInput(
            "ordered_on", "required for a mandatory recall (the date of the order letter)"
        )
    day_in_range(ordered_on, "ordered_on")
    if ordered_on > clock.today():
        raise InvalidInput("ordered_on", "must not be in the future")
    return ordered_on


def checked_public_warning(recall_class: str, depth: str, public_warning: str | None) -> str:
    """The strategy's public warning; a class I recall to consumers must decide it."""
    if public_warning is None:
        if recall_class == RecallClass.I and depth == Depth.CONSUMER:
            raise InvalidInput("public_warning", "required for a class I recall to consumer level")
        return PublicWarningLevel.NONE.value
    return choice(PublicWarningLevel, public_warning, "public_warning").value


def profiles_of(row: Mapping[str, Any]) -> list[str]:
    """A recall row's profiles (first-release rows name only `profile`)."""
    if row.get("profiles"):
        return list(json.loads(row["profiles"]))
    return [row["profile"]]


@dataclass(frozen=True)
class PlannedDeadline:
    profile: str
    basis: str
    deadline: regulatory.Deadline


def plan_deadlines(row: Mapping[str, Any], approved_at: datetime) -> list[PlannedDeadline]:
    """Each profile's deadlines: from the order letter's day for a mandatory recall (00:00
    in the profile's time zone), from approval otherwise; earliest first."""
    ordered_on = db.as_date(row["ordered_on"]) if row.get("ordered_on") else None
    planned = []
    for profile in profiles_of(row):
        if ordered_on is not None:
            start, basis = regulatory.order_start(profile, ordered_on), DeadlineBasis.ORDER
        else:
            start, basis = approved_at, DeadlineBasis.APPROVAL
        planned += [
            PlannedDeadline(profile, basis.value, deadline)
            for deadline in regulatory.recall_deadlines(
                profile, row["recall_class"], row["depth"], start
            )
        ]
    return sorted(planned, key=lambda planned: planned.deadline.due_at)

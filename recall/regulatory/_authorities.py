"""What a profile asks of a recall order and of a complaint, and which profile a
consignee's country or an authority's name belongs to. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from recall.errors import InvalidInput
from recall.regulatory._deadlines import due_after
from recall.regulatory._profiles import OBLIGATION_KINDS, load_profile

_STARTS_WORDS = {"received": "receipt", "triaged": "triage"}


@dataclass(frozen=True)
class ObligationDue:
    kind: str  # one of OBLIGATION_KINDS
    profile: str
    authority: str
    due_at: datetime  # UTC, tz-aware
    rule: str  # human text, e.g. "3 working days from receipt (FDA)"
    form: str  # e.g. "Form FDA 3331a", "e-MESO"


def order_start(profile: str, ordered_on: date) -> datetime:
    """When an authority's order dated `ordered_on` starts its deadlines: 00:00 of that day
    in the profile's time zone, as UTC."""
    zone = ZoneInfo(load_profile(profile).time_zone)
    return datetime.combine(ordered_on, time(0), tzinfo=zone).astimezone(UTC)


def complaint_obligations(
    profiles: Sequence[str],
    *,
    category: str,
    severity: str,
    adverse_event: bool,
    received_at: datetime,
    triaged_at: datetime,
) -> list[ObligationDue]:
    """The reports a complaint triaged as given makes due under each profile, earliest first."""
    dues = []
    for name in profiles:
        rules = load_profile(name)
        for kind in OBLIGATION_KINDS:
            rule = rules.obligations.get(kind)
            if rule is None or not rule.applies(category, severity, adverse_event):
                continue
            start = received_at if rule.start == "received" else triaged_at
            dues.append(
                ObligationDue(
                    kind=kind,
                    profile=rules.name,
                    authority=rules.authority,
                    due_at=due_after(rules, start, rule.within),
                    rule=f"{rule.within} from {_STARTS_WORDS[rule.start]} ({rules.authority})",
                    form=rule.form,
                )
            )
    return sorted(dues, key=lambda due: (due.due_at, profiles.index(due.profile), due.kind))


def market_of(profiles: Sequence[str], country: str) -> str:
    """The first profile whose countries hold `country`; the first profile otherwise (the
    plant's own authority answers for markets no listed profile covers)."""
    if not profiles:
        raise InvalidInput("profiles", "at least one profile is needed")
    code = country.strip().upper()
    for name in profiles:
        if code in load_profile(name).countries:
            return name
    return profiles[0]


def authority_of(profiles: Sequence[str], text: str) -> str | None:
    """The profile among `profiles` whose key, authority or authority name is `text`
    (case and surrounding spaces ignored), else None."""
    wanted = " ".join(text.split()).casefold()
    for name in profiles:
        rules = load_profile(name)
        if wanted in {name.casefold(), rules.authority.casefold(), rules.authority_name.casefold()}:
            return name
    return None

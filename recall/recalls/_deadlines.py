"""A recall's deadlines as they stand: what met each one and whether it is late.

Reports are met by a submission of the kind the profile names (`met_by`), stored on the
deadline when the submission is recorded. Notifying and completing are met by progress,
counted per market (the consignees whose country the profile covers): notify_consignees
once every notice of the market is delivered, wholesale_complete / retail_complete once
every notice of that level in the market has answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from recall import clock, db, notices, regulatory
from recall.recalls._models import Deadline
from recall.recalls._orders import profiles_of
from recall.rules import days_late

# Deadlines met by the work done rather than by a submission, and how each is counted.
PROGRESS_MET = {
    "notify_consignees": (None, "notified"),
    "wholesale_complete": ("wholesale", "responded"),
    "retail_complete": ("retail", "responded"),
}


def lateness(due_at: datetime, met_at: datetime | None, now: datetime) -> tuple[bool, int | None]:
    """Late when met after the due time, or still unmet past it; and by how many days."""
    late_by = days_late(due_at, met_at or now)
    return late_by is not None, late_by


def _done(
    levels: Sequence[notices.LevelProgress], count: str, nothing_to_do: datetime | None
) -> datetime | None:
    """When the last of these notices was `count` (None while any is not); with no notice
    at all there was nothing to do."""
    total = sum(level.notices for level in levels)
    if not total:
        return nothing_to_do
    if sum(getattr(level, count) for level in levels) < total:
        return None
    times = [getattr(level, f"last_{count}_at") for level in levels]
    return max((moment for moment in times if moment is not None), default=None)


def market_countries(profiles: Sequence[str], profile: str) -> tuple[list[str], bool]:
    """The countries of `profile`'s market, and whether its consignees are in them (True)
    or in none of them (False: the first profile's market is every other country)."""
    if profile == profiles[0]:
        return markets_abroad(profiles), False
    return sorted(
        code for code in regulatory.load_profile(profile).countries
        if regulatory.market_of(profiles, code) == profile
    ), True  # fmt: skip


def markets_abroad(profiles: Sequence[str]) -> list[str]:
    """The countries whose consignees belong to a profile other than the first (every other
    country is the first profile's market)."""
    home = regulatory.load_profile(profiles[0]).countries
    abroad = {code for p in profiles[1:] for code in regulatory.load_profile(p).countries}
    return sorted(abroad - home)


async def progress_met(
    recall_id: int, profiles: Sequence[str], approved_at: datetime | None
) -> dict[tuple[str, str, int | None], datetime | None]:
    """(deadline key, profile, amendment) → when progress met it, for the deadlines progress
    meets: the approved scope's (amendment None) over the notices sent at approval, each
    approved scope amendment's over the notices it added."""
    started: dict[int | None, datetime | None] = {None: approved_at}
    for row in await db.fetch(
        "SELECT id, approved_at FROM recall_amendment "
        "WHERE recall = {} AND approved_at IS NOT NULL",
        recall_id,
    ):
        started[int(row["id"])] = db.as_utc(row["approved_at"])
    scopes: dict[tuple[str, int | None], list[notices.LevelProgress]] = {
        (profile, amendment): [] for profile in profiles for amendment in started
    }
    for level in await notices.progress_by_level(recall_id, markets_abroad(profiles)):
        market = (
            profiles[0] if level.country is None else regulatory.market_of(profiles, level.country)
        )
        scopes.setdefault((market, level.amendment), []).append(level)
    opening = await db.fetch(
        "SELECT notices_opened_at FROM recall WHERE id = {} AND approved_at IS NOT NULL",
        recall_id,
    )
    # While the approval's notices are still being opened, the approved scope is not done.
    still_opening = bool(opening) and opening[0]["notices_opened_at"] is None
    met: dict[tuple[str, str, int | None], datetime | None] = {}
    for (profile, amendment), levels in scopes.items():
        for key, (level_name, count) in PROGRESS_MET.items():
            counted = [level for level in levels if level_name in (None, level.level)]
            done = _done(counted, count, started.get(amendment))
            met[(key, profile, amendment)] = None if still_opening and amendment is None else done
    return met


async def recall_deadlines(row: Mapping[str, Any]) -> list[Deadline]:
    """The deadlines of the recall `row`, earliest first, each with what met it and how late."""
    rows = await db.fetch(
        "SELECT name, due_at, rule, profile, basis, met_at, overridden, override_reason, "
        "amendment "
        "FROM recall_deadline WHERE recall = {} ORDER BY due_at, id",
        row["id"],
    )
    if not rows:
        return []
    profiles = profiles_of(row)
    approved_at = db.as_utc(row["approved_at"]) if row["approved_at"] else None
    by_progress = await progress_met(row["id"], profiles, approved_at)
    closed_at = db.as_utc(row["closed_at"]) if row["closed_at"] else None
    now = closed_at or clock.now().astimezone(UTC)
    deadlines = []
    for found in rows:
        key, profile = found["name"], found["profile"] or profiles[0]
        met_at = db.as_utc(found["met_at"]) if found["met_at"] else None
        if met_at is None:
            met_at = by_progress.get((key, profile, found["amendment"]))
        due_at = db.as_utc(found["due_at"])
        late, days_late = lateness(due_at, met_at, now)
        deadlines.append(
            Deadline(
                name=key,
                due_at=due_at,
                rule=found["rule"],
                key=key,
                profile=profile,
                authority=regulatory.load_profile(profile).authority,
                basis=found["basis"] or "approval",
                met_at=met_at,
                overridden=bool(found["overridden"]),
                override_reason=found["override_reason"],
                late=late,
                days_late=days_late,
                amendment=found["amendment"],
            )
        )
    return deadlines

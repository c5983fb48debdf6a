"""A recall's progress for its dashboard and deadlines: per tier, level, market and scope.

Counted from notice_tally, which the database's triggers keep in every transaction that
changes a notice or a notice line (migration notice_tally_triggers): a read sums a handful
of rows per group instead of passing over every notice, so a recall with tens of thousands
of notices reads as fast as a small one, also while its notices are being delivered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recall import db
from recall.notices._models import Progress, TierProgress

# A recall's tally rows beyond which a read folds them into one per group.
FOLD_AT = 256


_GROUP = ("tier", "wholesale", "country", "market", "amendment")
_COUNTS = ("notices", "notified", "acknowledged", "responded")
_TIMES = ("last_notified_at", "last_responded_at")
_UNITS = ("distributed", "on_hand", "returned")
_TALLY_COLUMNS = (
    ("recall", "int"), ("tier", "int"), ("wholesale", "bool"), ("country", "text"),
    ("market", "text"), ("amendment", "int"), ("notices", "int"), ("notified", "int"),
    ("acknowledged", "int"), ("responded", "int"), ("last_notified_at", "timestamptz"),
    ("last_responded_at", "timestamptz"), ("distributed", "bigint"), ("on_hand", "bigint"),
    ("returned", "bigint"),
)  # fmt: skip


@dataclass(frozen=True)
class _Group:
    """A recall's notices of one tier, level, consignee country, market and scope."""

    tier: int
    wholesale: bool  # answers at the wholesale level: tier 1 or a PBF
    country: str | None
    market: str | None
    amendment: int | None
    notices: int
    notified: int
    acknowledged: int
    responded: int
    last_notified_at: datetime | None
    last_responded_at: datetime | None


@dataclass(frozen=True)
class _Tally:
    groups: list[_Group]
    units: dict[int, tuple[int, int, int]]  # tier -> distributed, on hand, returned


def _added_up(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Tally rows summed per group (counts and units added, the latest times kept)."""
    sums: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        wholesale = None if row["wholesale"] is None else bool(row["wholesale"])
        key = (int(row["tier"]), wholesale, row["country"], row["market"], row["amendment"])
        found = sums.setdefault(key, dict.fromkeys(_COUNTS + _UNITS, 0) | dict.fromkeys(_TIMES))
        for name in _COUNTS + _UNITS:
            found[name] += int(row[name] or 0)
        for name in _TIMES:
            moment = db.as_utc(row[name])
            if moment is not None and (found[name] is None or moment > found[name]):
                found[name] = moment
    return sums


async def _fold(recall_id: int) -> None:
    """Replace a recall's tally rows by one per group. Exact while triggers add rows: the
    rows deleted are exactly the rows summed, and rows added meanwhile stay as they are."""
    async with db.transaction():
        rows = await db.fetch(
            "DELETE FROM notice_tally WHERE recall = {} RETURNING "
            + ", ".join(_GROUP + _COUNTS + _TIMES + _UNITS),
            recall_id,
        )
        folded = [
            (recall_id, *key, *(sums[name] for name in _COUNTS + _TIMES + _UNITS))
            for key, sums in _added_up(rows).items()
            if any(sums[name] for name in _COUNTS + _TIMES + _UNITS)
        ]
        await db.insert_many("notice_tally", _TALLY_COLUMNS, folded)


async def _tally(recall_id: int) -> _Tally:
    """A recall's notices counted per group, and its lines' units per tier."""
    rows = await db.fetch(
        "SELECT tier, wholesale, country, market, amendment, COUNT(*) AS kept, "
        + ", ".join(f"SUM({name}) AS {name}" for name in _COUNTS + _UNITS)
        + ", "
        + ", ".join(f"MAX({name}) AS {name}" for name in _TIMES)
        + " FROM notice_tally WHERE recall = {} GROUP BY tier, wholesale, country, market, "
        "amendment",
        recall_id,
    )
    # Folded by a read of its own: inside a caller's transaction (maybe a read-only
    # snapshot) the rows are only summed.
    if sum(int(row["kept"]) for row in rows) > FOLD_AT and not db.in_transaction():
        await _fold(recall_id)
    groups: list[_Group] = []
    units: dict[int, tuple[int, int, int]] = {}
    for (tier, wholesale, country, market, amendment), sums in _added_up(rows).items():
        if any(sums[name] for name in _UNITS):
            distributed, on_hand, returned = units.get(tier, (0, 0, 0))
            units[tier] = (
                distributed + sums["distributed"],
                on_hand + sums["on_hand"],
                returned + sums["returned"],
            )
        if wholesale is not None and sums["notices"]:
            counts = [sums[name] for name in _COUNTS]
            times = [sums[name] for name in _TIMES]
            amendment = None if amendment is None else int(amendment)
            groups.append(_Group(tier, wholesale, country, market, amendment, *counts, *times))
    return _Tally(groups, units)


async def _respond_by(recall_id: int) -> dict[tuple[bool, str | None, int | None], datetime]:
    """What notices of each (level, market, scope) answer by: RESPOND_BY's rule, per group."""
    rows = await db.fetch(
        "SELECT profile, name, amendment, due_at FROM recall_deadline WHERE recall = {} "
        "AND name IN ('wholesale_complete', 'retail_complete')",
        recall_id,
    )
    deadlines = [
        (row["profile"], row["name"], row["amendment"], db.as_utc(row["due_at"])) for row in rows
    ]

    def due(wholesale: bool, market: str | None, amendment: int | None) -> datetime | None:
        scope = [
            (name, due_at)
            for profile, name, scoped, due_at in deadlines
            if (market is None or profile == market) and scoped == amendment
        ]
        level = "wholesale_complete" if wholesale else "retail_complete"
        name = level if any(found == level for found, _ in scope) else "wholesale_complete"
        return min((due_at for found, due_at in scope if found == name), default=None)

    found: dict[tuple[bool, str | None, int | None], datetime] = {}
    for wholesale in (True, False):
        for market in {None, *(row["profile"] for row in rows)}:
            for amendment in {None, *(row["amendment"] for row in rows)}:
                moment = due(wholesale, market, amendment)
                if moment is not None:
                    found[(wholesale, market, amendment)] = moment
    return found


async def tier_progress(recall_id: int, now: datetime) -> list[TierProgress]:
    """Each tier's counters and units."""
    tally = await _tally(recall_id)
    respond_by = await _respond_by(recall_id)
    tiers: dict[int, list[_Group]] = {}
    for group in tally.groups:
        tiers.setdefault(group.tier, []).append(group)
    progress = []
    for tier, groups in sorted(tiers.items()):
        distributed, on_hand, returned = tally.units.get(tier, (0, 0, 0))
        overdue = sum(
            group.notices - group.responded
            for group in groups
            if (due := respond_by.get((group.wholesale, group.market, group.amendment)))
            and due < now
        )
        progress.append(
            TierProgress(
                tier=tier,
                consignees_total=sum(group.notices for group in groups),
                notified=sum(group.notified for group in groups),
                acknowledged=sum(group.acknowledged for group in groups),
                responded=sum(group.responded for group in groups),
                overdue=overdue,
                quantity_distributed=distributed,
                quantity_on_hand=on_hand,
                quantity_returned=returned,
                last_notified_at=_latest(group.last_notified_at for group in groups),
            )
        )
    return progress


async def progress(recall_id: int, now: datetime) -> Progress:
    """A recall's counters over all tiers, with each tier's; quantities count tier 1 only.

    Lower tiers received their stock from a tier-1 consignee, so counting them too would
    count it twice. Destroyed counts what was destroyed on site at tier-1 consignees; returned
    stock destroyed at the plant already counts as returned.
    """
    tiers = await tier_progress(recall_id, now)
    destroyed = await db.fetch(
        "SELECT COALESCE(SUM(d.quantity), 0) AS quantity "
        "FROM destruction d JOIN notice n ON n.id = d.notice WHERE d.recall = {} AND n.tier = 1",
        recall_id,
    )
    first = [tier for tier in tiers if tier.tier == 1]
    return Progress(
        consignees_total=sum(tier.consignees_total for tier in tiers),
        notified=sum(tier.notified for tier in tiers),
        acknowledged=sum(tier.acknowledged for tier in tiers),
        responded=sum(tier.responded for tier in tiers),
        overdue=sum(tier.overdue for tier in tiers),
        quantity_distributed=sum(tier.quantity_distributed for tier in first),
        quantity_on_hand=sum(tier.quantity_on_hand for tier in first),
        quantity_returned=sum(tier.quantity_returned for tier in first),
        quantity_destroyed=int(destroyed[0]["quantity"]),
        tiers=tuple(tiers),
    )


@dataclass(frozen=True)
class LevelProgress:
    """A recall's notices at one level ("wholesale": tier 1 and PBF, as `wholesale_complete`
    counts them; "retail": the rest) to consignees of one of the countries asked about, or
    (country None) of any other country."""

    level: str
    country: str | None
    notices: int
    notified: int
    responded: int
    last_notified_at: datetime | None
    last_responded_at: datetime | None
    amendment: int | None = None  # the scope amendment that reached them; None: approval


async def progress_by_level(recall_id: int, countries: Sequence[str] = ()) -> list[LevelProgress]:
    """Per level, country (of `countries`, else None) and scope amendment: how many notices,
    delivered and answered, and the latest times."""
    found: dict[tuple[str, str | None, int | None], list[_Group]] = {}
    for group in (await _tally(recall_id)).groups:
        country = group.country if group.country in countries else None
        level = "wholesale" if group.wholesale else "retail"
        found.setdefault((level, country, group.amendment), []).append(group)
    return [
        LevelProgress(
            level=level,
            country=country,
            notices=sum(group.notices for group in groups),
            notified=sum(group.notified for group in groups),
            responded=sum(group.responded for group in groups),
            last_notified_at=_latest(group.last_notified_at for group in groups),
            last_responded_at=_latest(group.last_responded_at for group in groups),
            amendment=amendment,
        )
        for (level, country, amendment), groups in found.items()
    ]


def _latest(moments: Iterable[datetime | None]) -> datetime | None:
    return max((moment for moment in moments if moment is not None), default=None)

"""Reminders to consignees that have not responded, and the notices a passed deadline left open.

Reminders run from the worker's cron, are safe to run twice and to run concurrently: a
reminder moves `reminders_sent` up only once (and the delivery's unique key drops a repeat).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from recall import audit, clock, db
from recall.actors import SYSTEM
from recall.notices._delivery_schedule import Message, schedule
from recall.notices._service import ANSWERS_AT_WHOLESALE_LEVEL, by_market
from recall.settings import get_settings

# A recall status as stored by recall.recalls (which imports this package, not the reverse).
IN_PROGRESS = "in_progress"
CODES_LISTED = 50

# ANSWERS_AT_WHOLESALE_LEVEL (notices/service.py) without the n/c aliases (for UPDATE, and a
# read that need not join every consignee, since PBFs are few): our
# direct accounts and wholesalers answer by "wholesale_complete", everyone else by
# "retail_complete" (or by "wholesale_complete" when the recall has no retail deadline).
_WHOLESALE_LEVEL = "(tier = 1 OR consignee IN (SELECT id FROM consignee WHERE kind = 'pbf'))"


def _created_by(respond_by: datetime, now: datetime, fraction: float) -> datetime:
    """The latest creation time for which reminder `fraction` is due by `now`.

    now >= c + f (R - c)  <=>  c <= R - (R - now) / (1 - f), for f < 1: one threshold per
    deadline and fraction, so the database finds every due notice with one comparison.
    """
    return (respond_by - (respond_by - now) / (1 - fraction)).astimezone(UTC)


# A level's notices, their parameters, and the deadline they answer by.
_Level = tuple[str, tuple[Any, ...], datetime | None]


async def _response_levels() -> dict[int, list[_Level]]:
    """Per in-progress recall, its notices by level (and market, under several profiles; and
    scope amendment, whose notices answer by its own deadlines) with the response deadline
    (wholesale/retail complete) each answers by."""
    rows = await db.fetch(
        "SELECT d.recall AS recall, d.amendment AS amendment, d.profile AS profile, "
        "d.name AS name, MIN(d.due_at) AS due_at "
        "FROM recall_deadline d JOIN recall r ON r.id = d.recall "
        "WHERE r.status = {} AND d.name IN ('wholesale_complete', 'retail_complete') "
        "GROUP BY d.recall, d.amendment, d.profile, d.name",
        IN_PROGRESS,
    )
    per_scope: dict[tuple[int, int | None], list[Mapping[str, Any]]] = {}
    for row in rows:
        amendment = None if row["amendment"] is None else int(row["amendment"])
        per_scope.setdefault((int(row["recall"]), amendment), []).append(row)
    levels: dict[int, list[_Level]] = {}
    for (recall_id, amendment), found in per_scope.items():
        markets = by_market(found)
        if len(markets) <= 2:  # one profile: its notices have no market
            markets = {None: markets[None]}
        scope, scoped = (
            ("amendment IS NULL AND ", ())
            if amendment is None
            else ("amendment = {} AND ", (amendment,))
        )
        for market, deadlines in markets.items():
            which, named = ("market IS NULL", ()) if market is None else ("market = {}", (market,))
            which, named = scope + which, (*scoped, *named)
            wholesale = deadlines.get("wholesale_complete")
            retail = deadlines.get("retail_complete") or wholesale
            levels.setdefault(recall_id, []).extend(
                [
                    (f"{which} AND {_WHOLESALE_LEVEL}", named, wholesale),
                    (f"{which} AND NOT {_WHOLESALE_LEVEL}", named, retail),
                ]
            )
    return levels


async def send_due_reminders(now: datetime | None = None) -> int:
    """Queue the reminder now due to each notice of an in-progress recall still unanswered.

    Reminder n is due once `now` is past the n-th configured fraction
    (settings.delivery.reminder_fractions) of the time between the notice's creation and its
    response deadline, while that deadline is still ahead. When several are due at once only
    the latest is sent. Per recall, in one transaction: `reminders_sent` moved up, the
    deliveries and their outbox rows, and one audit entry. Returns the notices reminded.
    """
    now = (now or clock.now()).astimezone(UTC)
    fractions = tuple(sorted(get_settings().delivery.reminder_fractions))
    if not fractions:
        return 0
    reminded = 0
    for recall_id, levels in sorted((await _response_levels()).items()):
        reminded += await _remind(recall_id, levels, now, fractions)
    return reminded


async def _remind(
    recall_id: int,
    levels: list[_Level],
    now: datetime,
    fractions: tuple[float, ...],
) -> int:
    sent: dict[int, int] = {}
    async with db.transaction():
        # Latest reminder first: a notice it takes is no longer below the earlier ones.
        for number in range(len(fractions), 0, -1):
            ids: list[int] = []
            for level, named, respond_by in levels:
                if respond_by is None or respond_by <= now:
                    continue
                rows = await db.fetch(
                    "UPDATE notice SET reminders_sent = {} WHERE recall = {} "
                    "AND responded_at IS NULL AND reminders_sent < {} AND created_at <= {} "
                    f"AND {level} AND recall IN (SELECT id FROM recall WHERE status = {{}}) "
                    "RETURNING id",
                    number,
                    recall_id,
                    number,
                    _created_by(respond_by, now, fractions[number - 1]),
                    *named,
                    IN_PROGRESS,
                )
                ids += [int(row["id"]) for row in rows]
            if ids:
                await schedule(sorted(ids), Message.REMINDER, number)
                sent[number] = len(ids)
        if sent:
            await audit.record(
                SYSTEM,
                audit.Change(
                    "recall",
                    recall_id,
                    "reminders_sent",
                    new={
                        "notices": sum(sent.values()),
                        "by_reminder": {
                            str(number): count for number, count in sorted(sent.items())
                        },
                        "at": now.isoformat(),
                    },
                ),
            )
    return sum(sent.values())


# Work open at a passed deadline ---------------------------------------------------------------

# Per deadline: the notices whose work is still open once it has passed, and how to say so.
_OPEN_NOTICES: dict[str, tuple[str, str]] = {
    "notify_consignees": ("n.notified_at IS NULL", "not yet notified"),
    "wholesale_complete": (
        f"n.responded_at IS NULL AND {ANSWERS_AT_WHOLESALE_LEVEL}",
        "at wholesale level (tier 1 and PBF) without a response",
    ),
    "retail_complete": (
        f"n.responded_at IS NULL AND NOT {ANSWERS_AT_WHOLESALE_LEVEL}",
        "at retail level without a response",
    ),
}


@dataclass(frozen=True)
class OpenNotices:
    """The notices of a recall a passed deadline left open, and what is open about them."""

    count: int
    codes: tuple[str, ...]  # the first CODES_LISTED consignees, lowest tier first
    notice_id: int | None  # the notice, when only one is open
    what: str


async def open_at_deadline(
    recall_id: int,
    deadline: str,
    countries: Sequence[str] = (),
    *,
    inside: bool = True,
    amendment: int | None = None,
) -> OpenNotices | None:
    """The recall's notices still open at a deadline of that name; None when none are, or
    when the deadline is not about notices. With `countries`, only the notices of consignees
    in them (`inside`) or in none of them (a market of a recall with several). Only the
    notices of the scope the deadline runs for: the approved one, or `amendment`'s."""
    if deadline not in _OPEN_NOTICES:
        return None
    condition, what = _OPEN_NOTICES[deadline]
    if countries:
        listed = ", ".join("{}" for _ in countries)
        condition += f" AND c.country {'' if inside else 'NOT '}IN ({listed})"
    values: list[Any] = [recall_id, *countries]
    if amendment is None:
        condition += " AND n.amendment IS NULL"
    else:
        condition += " AND n.amendment = {}"
        values.append(amendment)
    where = (
        "FROM notice n JOIN consignee c ON c.id = n.consignee "
        f"WHERE n.recall = {{}} AND {condition}"
    )
    count = int((await db.fetch(f"SELECT COUNT(*) AS n {where}", *values))[0]["n"])
    if not count:
        return None
    rows = await db.fetch(
        f"SELECT n.id AS id, c.code AS code {where} ORDER BY n.tier, c.code LIMIT {{}}",
        *values,
        CODES_LISTED,
    )
    notice_id = int(rows[0]["id"]) if count == 1 else None
    return OpenNotices(count, tuple(row["code"] for row in rows), notice_id, what)

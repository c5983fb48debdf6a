"""Reminders to consignees that have not responded, and escalation of passed recall deadlines.

Both run from the worker's cron, are safe to run twice and to run concurrently: a reminder
moves `reminders_sent` up only once (and the delivery's unique key drops a repeat), and a
deadline is escalated only while its `escalated_at` is still empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from recall import alerts, audit, clock, db
from recall.actors import SYSTEM
from recall.notices._delivery_schedule import Message, schedule
from recall.notices._service import ANSWERS_AT_WHOLESALE_LEVEL
from recall.settings import get_settings

IN_PROGRESS = "in_progress"
CODES_LISTED = 50

# ANSWERS_AT_WHOLESALE_LEVEL (notices/service.py) without the n/c aliases, for UPDATE: our
# direct accounts and wholesalers answer by "wholesale_complete", everyone else by
# "retail_complete" (or by "wholesale_complete" when the recall has no retail deadline).
_WHOLESALE_LEVEL = "(tier = 1 OR consignee IN (SELECT id FROM consignee WHERE kind = 'pbf'))"


def _created_by(respond_by: datetime, now: datetime, fraction: float) -> datetime:
    """The latest creation time for which reminder `fraction` is due by `now`.

    now >= c + f (R - c)  <=>  c <= R - (R - now) / (1 - f), for f < 1: one threshold per
    deadline and fraction, so the database finds every due notice with one comparison.
    """
    return (respond_by - (respond_by - now) / (1 - fraction)).astimezone(UTC)


async def _response_deadlines() -> dict[int, dict[str, datetime]]:
    """The response deadlines (wholesale/retail complete) of in-progress recalls."""
    rows = await db.fetch(
        "SELECT d.recall AS recall, d.name AS name, MIN(d.due_at) AS due_at "
        "FROM recall_deadline d JOIN recall r ON r.id = d.recall "
        "WHERE r.status = {} AND d.name IN ('wholesale_complete', 'retail_complete') "
        "GROUP BY d.recall, d.name",
        IN_PROGRESS,
    )
    found: dict[int, dict[str, datetime]] = {}
    for row in rows:
        found.setdefault(int(row["recall"]), {})[row["name"]] = db.as_utc(row["due_at"])
    return found


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
    for recall_id, deadlines in sorted((await _response_deadlines()).items()):
        wholesale = deadlines.get("wholesale_complete")
        levels = [(_WHOLESALE_LEVEL, wholesale)]
        levels.append((f"NOT {_WHOLESALE_LEVEL}", deadlines.get("retail_complete") or wholesale))
        reminded += await _remind(recall_id, levels, now, fractions)
    return reminded


async def _remind(
    recall_id: int,
    levels: list[tuple[str, datetime | None]],
    now: datetime,
    fractions: tuple[float, ...],
) -> int:
    sent: dict[int, int] = {}
    async with db.transaction():
        # Latest reminder first: a notice it takes is no longer below the earlier ones.
        for number in range(len(fractions), 0, -1):
            ids: list[int] = []
            for level, respond_by in levels:
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


# Escalation of passed deadlines -------------------------------------------------------------

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


async def escalate_passed_deadlines(now: datetime | None = None) -> int:
    """Alert QA once about each passed deadline of an in-progress recall with work still open.

    notify_consignees: notices not yet delivered; wholesale_complete / retail_complete:
    notices of that level without a response; initial_report: no status report filed in
    the system yet. Status reports have their own schedule and are not escalated here.
    Every passed deadline gets `escalated_at`, with or without an alert, so it is looked at
    once; each is audited on its recall. Returns the alerts raised.
    """
    now = (now or clock.now()).astimezone(UTC)
    passed = await db.fetch(
        "SELECT d.id AS id, d.recall AS recall, d.name AS name, d.due_at AS due_at, "
        "r.reference AS reference FROM recall_deadline d JOIN recall r ON r.id = d.recall "
        "WHERE r.status = {} AND d.escalated_at IS NULL AND d.due_at < {} "
        "ORDER BY d.due_at, d.id",
        IN_PROGRESS,
        now,
    )
    raised = 0
    for deadline in passed:
        raised += await _escalate(deadline, now)
    return raised


async def _escalate(deadline: Mapping[str, Any], now: datetime) -> int:
    recall_id, name = int(deadline["recall"]), deadline["name"]
    due_at = db.as_utc(deadline["due_at"])
    async with db.transaction():
        taken = await db.fetch(
            "UPDATE recall_deadline SET escalated_at = {} WHERE id = {} AND escalated_at IS NULL "
            "AND recall IN (SELECT id FROM recall WHERE status = {}) RETURNING id",
            now,
            deadline["id"],
            IN_PROGRESS,
        )
        if not taken:
            return 0  # escalated meanwhile by another run, or the recall was closed
        detail, open_count, notice_id = await _open_work(recall_id, name, deadline, due_at)
        alert_id = None
        if detail is not None:
            alert_id = await alerts.raise_alert(
                alerts.AlertKind.DEADLINE_PASSED, detail, recall_id=recall_id, notice_id=notice_id
            )
        await audit.record(
            SYSTEM,
            audit.Change(
                "recall",
                recall_id,
                "deadline_passed",
                new={
                    "deadline": name,
                    "due_at": due_at.isoformat(),
                    "open": open_count,
                    "alert_id": alert_id,
                },
            ),
        )
    return 0 if alert_id is None else 1


async def _open_work(
    recall_id: int, name: str, deadline: Mapping[str, Any], due_at: datetime
) -> tuple[str | None, int, int | None]:
    """The alert text (None when nothing is open), how much is open, and the one notice."""
    due = due_at.strftime("%Y-%m-%d %H:%M UTC")
    head = f"Deadline {name} of recall {deadline['reference']} passed ({due})"
    if name == "initial_report":
        filed = await db.fetch(
            "SELECT COUNT(*) AS n FROM status_report WHERE recall = {}", recall_id
        )
        if int(filed[0]["n"]):
            return None, 0, None
        return (
            f"{head} and no status report is filed yet: send the initial report to the "
            "authority and file a status report",
            1,
            None,
        )
    if name not in _OPEN_NOTICES:
        return None, 0, None  # status_report: filed on its own schedule
    condition, what = _OPEN_NOTICES[name]
    where = (
        "FROM notice n JOIN consignee c ON c.id = n.consignee "
        f"WHERE n.recall = {{}} AND {condition}"
    )
    count = int((await db.fetch(f"SELECT COUNT(*) AS n {where}", recall_id))[0]["n"])
    if not count:
        return None, 0, None
    rows = await db.fetch(
        f"SELECT n.id AS id, c.code AS code {where} ORDER BY n.tier, c.code LIMIT {{}}",
        recall_id,
        CODES_LISTED,
    )
    listed = ", ".join(row["code"] for row in rows)
    if count > len(rows):
        listed += f" and {count - len(rows)} more"
    notice_id = int(rows[0]["id"]) if count == 1 else None
    return f"{head} with {count} consignee(s) still {what}: {listed}", count, notice_id

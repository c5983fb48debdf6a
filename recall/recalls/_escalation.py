"""Escalation of passed recall deadlines to QA, from the worker's cron.

Safe to run twice and to run concurrently: a deadline is escalated only while its
`escalated_at` is still empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from recall import alerts, audit, clock, db, notices
from recall.actors import SYSTEM
from recall.recalls._models import RecallStatus


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
        RecallStatus.IN_PROGRESS.value,
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
            RecallStatus.IN_PROGRESS.value,
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
    still_open = await notices.open_at_deadline(recall_id, name)
    if still_open is None:
        return None, 0, None  # status_report: filed on its own schedule; or nothing open
    listed = ", ".join(still_open.codes)
    if still_open.count > len(still_open.codes):
        listed += f" and {still_open.count - len(still_open.codes)} more"
    return (
        f"{head} with {still_open.count} consignee(s) still {still_open.what}: {listed}",
        still_open.count,
        still_open.notice_id,
    )

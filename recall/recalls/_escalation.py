"""Escalation of passed recall deadlines to QA, from the worker's cron.

Safe to run twice and to run concurrently: a deadline is escalated only while its
`escalated_at` is still empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from recall import alerts, audit, clock, db, notices, regulatory
from recall.actors import SYSTEM
from recall.recalls._deadlines import PROGRESS_MET, market_countries, progress_met
from recall.recalls._models import RecallStatus
from recall.recalls._orders import profiles_of


async def escalate_passed_deadlines(now: datetime | None = None) -> int:
    """Alert QA once about each passed deadline of an in-progress recall with work still open.

    notify_consignees: notices of its market not yet delivered; wholesale_complete /
    retail_complete: notices of that level without a response; a report (initial_report):
    no submission of the kind its profile names recorded yet. A met deadline is never
    escalated. Status reports have their own schedule and are not escalated here.
    Every passed deadline gets `escalated_at`, with or without an alert, so it is looked at
    once (an override into the future clears it); each is audited on its recall. Returns
    the alerts raised.
    """
    now = (now or clock.now()).astimezone(UTC)
    passed = await db.fetch(
        "SELECT d.id AS id, d.recall AS recall, d.name AS name, d.due_at AS due_at, "
        "d.profile AS deadline_profile, d.amendment AS amendment, "
        "r.reference AS reference, r.profile AS profile, "
        "r.profiles AS profiles, r.approved_at AS approved_at "
        "FROM recall_deadline d JOIN recall r ON r.id = d.recall "
        "WHERE r.status = {} AND d.escalated_at IS NULL AND d.met_at IS NULL AND d.due_at < {} "
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
                    "profile": deadline["deadline_profile"],
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
    profiles = profiles_of(deadline)
    profile = deadline["deadline_profile"] or profiles[0]
    rules = regulatory.load_profile(profile)
    head = f"Deadline {name} ({rules.authority}) of recall {deadline['reference']} passed ({due})"
    kind = rules.met_by.get(name)
    if kind is not None and name != "status_report":
        return (
            f"{head} and no {kind} sent to {rules.authority} is recorded: send it and record "
            "the submission",
            1,
            None,
        )
    if name in PROGRESS_MET:
        approved_at = db.as_utc(deadline["approved_at"]) if deadline["approved_at"] else None
        met = await progress_met(recall_id, profiles, approved_at)
        if met.get((name, profile, deadline["amendment"])) is not None:
            return None, 0, None
    countries, inside = market_countries(profiles, profile)
    if inside and not countries:
        return None, 0, None  # every country it lists belongs to an earlier profile
    still_open = await notices.open_at_deadline(
        recall_id, name, countries, inside=inside, amendment=deadline["amendment"]
    )
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

"""The worker's follow-up crons: reminders and escalations are queued, status reports filed."""

from __future__ import annotations

from datetime import timedelta

from recall import clock, db
from recall.notices import DELIVER_JOB
from tests.workers.delivery_setup import consignee, recall_to
from workers import WorkerSettings
from workers.jobs import file_status_reports, follow_up


def cron_names() -> set[str]:
    return {job.name for job in WorkerSettings.cron_jobs}


def test_follow_up_and_status_reports_run_on_the_worker_cron():
    assert {"follow_up", "file_status_reports", "relay_outbox"} <= cron_names()


async def test_follow_up_reminds_escalates_and_hands_the_reminders_to_the_queue(queue):
    receiver = await consignee("PBF-REM")
    recall_id = await recall_to(receiver)
    approved = clock.now()
    try:
        # Past the last reminder fraction of the response window, before its end.
        deadline = await db.fetch(
            "SELECT due_at FROM recall_deadline WHERE recall = {} AND name = 'wholesale_complete'",
            recall_id,
        )
        respond_by = db.as_utc(deadline[0]["due_at"])
        clock.set_clock(lambda: approved + (respond_by - approved) * 0.9)
        outcome = await follow_up({"redis": queue})
    finally:
        clock.set_clock(None)
    assert outcome["reminded"] == 1
    # The notify deadline (24 h for class I) passed while the notice was never delivered.
    assert outcome["escalated"] >= 1
    reminders = await db.fetch(
        "SELECT channel FROM delivery WHERE message = 'reminder' ORDER BY channel"
    )
    assert [row["channel"] for row in reminders] == ["email", "webhook"]
    handed = await db.fetch(
        "SELECT COUNT(*) AS n FROM outbox WHERE job = {} AND relayed_at IS NOT NULL",
        DELIVER_JOB,
    )
    assert int(handed[0]["n"]) >= 2  # the notice and the reminder
    assert await queue.zcard("arq:queue") >= 2


async def test_status_reports_are_filed_when_due(queue):
    recall_id = await recall_to(await consignee("PBF-REP"))
    approved = clock.now()
    try:
        clock.set_clock(lambda: approved + timedelta(days=15))
        filed = await file_status_reports({"redis": queue})
    finally:
        clock.set_clock(None)
    assert filed >= 2  # class I under BPOM: every week
    numbers = await db.fetch(
        "SELECT number FROM status_report WHERE recall = {} ORDER BY number", recall_id
    )
    assert [row["number"] for row in numbers][:2] == [1, 2]

"""QA is alerted once when a complaint's report to an authority comes due within a day."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from recall import alerts, complaints, db
from recall.complaints import ComplaintIntake, ObligationSubmission, Reporter, TriageRequest
from tests.factories import make_actor
from workers import WorkerSettings
from workers.jobs import alert_due_obligations


async def owing_a_field_alert() -> complaints.Complaint:
    """A complaint triaged as a quality defect: it owes FDA a field alert report."""
    logged = await complaints.log_complaint(
        await make_actor("cs"),
        ComplaintIntake(
            channel="phone",
            reporter=Reporter("Ani Wijaya", "patient"),
            description="The syrup is cloudy.",
            adverse_event=False,
            sample_available=True,
        ),
    )
    triage = TriageRequest(category="quality_defect", severity="major", investigate=True)
    return await complaints.triage_complaint(await make_actor("qa"), logged.id, triage)


def due_time(complaint: complaints.Complaint) -> datetime:
    assert complaint.field_alert_due_at is not None
    return complaint.field_alert_due_at


async def obligation_alerts() -> list[alerts.Alert]:
    found, _total = await alerts.list_alerts(kind="obligation_due")
    return found


def test_the_obligation_alerts_run_on_the_worker_cron():
    assert "alert_due_obligations" in {job.name for job in WorkerSettings.cron_jobs}


async def test_an_obligation_is_alerted_once_a_day_before_it_is_due(bpom_and_fda, move_to):
    complaint = await owing_a_field_alert()
    due_at = due_time(complaint)
    move_to(due_at - timedelta(hours=25))
    assert await alert_due_obligations({}) == 0
    move_to(due_at - timedelta(hours=23))
    assert await alert_due_obligations({}) == 1
    assert await alert_due_obligations({}) == 0
    move_to(due_at + timedelta(hours=1))
    assert await alert_due_obligations({}) == 0  # once, not again when it passes

    [alert] = await obligation_alerts()
    assert complaint.reference in alert.detail
    assert "field alert" in alert.detail and "FDA" in alert.detail
    assert f"{due_at:%Y-%m-%d %H:%M} UTC" in alert.detail
    history = await complaints.complaint_history(complaint.id)
    alerted = [entry for entry in history if entry.action == "obligation_alerted"]
    assert len(alerted) == 1 and alerted[0].new_values["alert_id"] == alert.id


async def test_a_submitted_obligation_is_not_alerted(bpom_and_fda, move_to):
    complaint = await owing_a_field_alert()
    due_at = due_time(complaint)
    move_to(due_at - timedelta(hours=30))
    qa = await make_actor("qa")
    sent = ObligationSubmission(
        submitted_at=due_at - timedelta(hours=30), reference="FAR-7", channel="portal"
    )
    await complaints.record_obligation_submission(qa, complaint.id, "field_alert", sent)
    move_to(due_at - timedelta(hours=1))
    assert await complaints.alert_due_obligations() == 0
    assert await obligation_alerts() == []


async def test_an_obligation_found_overdue_is_alerted_as_overdue(bpom_and_fda, move_to):
    complaint = await owing_a_field_alert()
    due_at = due_time(complaint)
    assert await complaints.alert_due_obligations(now=due_at + timedelta(days=2)) == 1
    [alert] = await obligation_alerts()
    assert "was due" in alert.detail


async def test_two_workers_at_once_raise_one_alert(bpom_and_fda, move_to):
    complaints_owing = [await owing_a_field_alert() for _ in range(3)]
    move_to(max(due_time(c) for c in complaints_owing))
    raised = await asyncio.gather(
        complaints.alert_due_obligations(), complaints.alert_due_obligations()
    )
    assert sum(raised) == 3
    assert len(await obligation_alerts()) == 3
    taken = await db.fetch(
        "SELECT COUNT(*) AS n FROM complaint_obligation WHERE alerted_at IS NOT NULL"
    )
    assert int(taken[0]["n"]) == 3

"""Reminders to non-responders at fractions of their response time, and escalation of passed
recall deadlines to QA: once each, only where work is still open, safe to run twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from recall import alerts, audit, db, notices, recalls
from recall.actors import SYSTEM
from tests.factories import (
    PASSWORD,
    START,
    make_actor,
    make_batch,
    make_consignee,
    recent_batch,
    ship,
)


@pytest.fixture
async def world(move_to):
    """Two wholesalers (tier 1) and a pharmacy supplied by the first; a class I retail recall
    approved at START: wholesalers answer by wholesale_complete, the pharmacy by retail."""
    batch = await recent_batch()
    first = await make_consignee("A-PBF")
    second = await make_consignee("B-PBF")
    pharmacy = await make_consignee("C-APT", kind="pharmacy")
    await ship(batch, first, 600)
    await ship(batch, second, 400)
    await ship(batch, pharmacy, 50, sender=first)
    proposed = await recalls.propose_recall(
        await make_actor("qa"),
        recalls.RecallProposal(
            reason="Diethylene glycol above limit",
            recall_class="I",
            recall_type="voluntary",
            depth="retail",
            profile="bpom",
            health_hazard_assessment="Acute kidney injury possible",
            batch_ids=[batch.id],
        ),
    )
    recall = await recalls.approve_recall(
        await make_actor("qa_manager"), proposed.id, PASSWORD, "Approved"
    )
    ids = {
        row["code"]: int(row["id"])
        for row in await db.fetch(
            "SELECT c.code AS code, n.id AS id FROM notice n "
            "JOIN consignee c ON c.id = n.consignee WHERE n.recall = {}",
            recall.id,
        )
    }
    due = {deadline.name: deadline.due_at for deadline in recall.deadlines}
    return {
        "batch": batch,
        "recall": recall,
        "notice": ids,
        "due": due,
        "consignee": {"A-PBF": first, "B-PBF": second, "C-APT": pharmacy},
    }


def at_fraction(world, deadline: str, fraction: float) -> datetime:
    return START + (world["due"][deadline] - START) * fraction


async def respond(world, code: str) -> None:
    """The consignee reports its stock (its response)."""
    distributor = await make_actor("distributor", consignee=world["consignee"][code])
    await notices.report_stock(
        distributor,
        world["notice"][code],
        notices.StockReport((notices.StockLine(world["batch"].batch_no, 10, 10),)),
    )


async def reminders() -> list[tuple[str, int, str]]:
    rows = await db.fetch(
        "SELECT c.code AS code, d.sequence AS sequence, d.channel AS channel FROM delivery d "
        "JOIN notice n ON n.id = d.notice JOIN consignee c ON c.id = n.consignee "
        "WHERE d.message = 'reminder' ORDER BY c.code, d.sequence, d.channel"
    )
    return [(row["code"], int(row["sequence"]), row["channel"]) for row in rows]


async def sent_counts(world) -> dict[str, int]:
    rows = await db.fetch(
        "SELECT c.code AS code, n.reminders_sent AS sent FROM notice n "
        "JOIN consignee c ON c.id = n.consignee WHERE n.recall = {}",
        world["recall"].id,
    )
    return {row["code"]: int(row["sent"]) for row in rows}


async def recall_actions(world, action: str) -> list[audit.Entry]:
    return [
        entry
        for entry in await audit.history("recall", world["recall"].id)
        if entry.action == action
    ]


# Reminders ------------------------------------------------------------------------------------


async def test_no_reminder_before_the_first_fraction(world, move_to):
    moment = at_fraction(world, "wholesale_complete", 0.49)
    move_to(moment)
    assert await notices.send_due_reminders(moment) == 0
    assert await reminders() == []
    assert set((await sent_counts(world)).values()) == {0}


async def test_first_reminder_goes_to_wholesale_non_responders_once(world, move_to):
    await respond(world, "B-PBF")
    moment = at_fraction(world, "wholesale_complete", 0.5) + timedelta(seconds=1)
    move_to(moment)

    assert await notices.send_due_reminders(moment) == 1
    # B answered; the pharmacy answers by the later retail deadline, not due yet.
    assert await reminders() == [("A-PBF", 1, "email")]
    assert await sent_counts(world) == {"A-PBF": 1, "B-PBF": 0, "C-APT": 0}
    (entry,) = await recall_actions(world, "reminders_sent")
    assert entry.actor_name == SYSTEM.display_name
    assert entry.new_values["notices"] == 1
    assert entry.new_values["by_reminder"] == {"1": 1}
    queued = await db.fetch("SELECT COUNT(*) AS n FROM outbox WHERE job = 'deliver_notices'")

    assert await notices.send_due_reminders(moment) == 0
    assert await reminders() == [("A-PBF", 1, "email")]
    assert len(await recall_actions(world, "reminders_sent")) == 1
    again = await db.fetch("SELECT COUNT(*) AS n FROM outbox WHERE job = 'deliver_notices'")
    assert again == queued


async def test_second_reminder_follows_at_the_next_fraction(world, move_to):
    first = at_fraction(world, "wholesale_complete", 0.6)
    move_to(first)
    assert await notices.send_due_reminders(first) == 2
    second = at_fraction(world, "wholesale_complete", 0.81)
    move_to(second)

    assert await notices.send_due_reminders(second) == 2
    assert await reminders() == [
        ("A-PBF", 1, "email"), ("A-PBF", 2, "email"),
        ("B-PBF", 1, "email"), ("B-PBF", 2, "email"),
    ]  # fmt: skip
    assert await sent_counts(world) == {"A-PBF": 2, "B-PBF": 2, "C-APT": 0}


async def test_only_the_latest_due_reminder_is_sent_when_several_are_due(world, move_to):
    moment = at_fraction(world, "retail_complete", 0.9)
    move_to(moment)

    assert await notices.send_due_reminders(moment) == 1
    # The wholesalers' deadline has passed (escalation's business); the pharmacy skipped #1.
    assert await reminders() == [("C-APT", 2, "email")]
    assert await sent_counts(world) == {"A-PBF": 0, "B-PBF": 0, "C-APT": 2}
    (entry,) = await recall_actions(world, "reminders_sent")
    assert entry.new_values["by_reminder"] == {"2": 1}


async def test_no_reminder_once_the_recall_is_closed(world, move_to):
    await db.fetch("UPDATE recall SET status = 'closed' WHERE id = {}", world["recall"].id)
    moment = at_fraction(world, "wholesale_complete", 0.6)
    move_to(moment)
    assert await notices.send_due_reminders(moment) == 0
    assert await reminders() == []


async def test_unreachable_non_responder_is_alerted_instead(move_to):
    batch = await make_batch()
    silent = await make_consignee("D-PBF", email="", phone="+62 21 555 0199")
    await ship(batch, silent, 100)
    proposed = await recalls.propose_recall(
        await make_actor("qa"),
        recalls.RecallProposal(
            reason="Label mix-up",
            recall_class="II",
            recall_type="voluntary",
            depth="wholesale",
            profile="bpom",
            health_hazard_assessment="Reversible",
            batch_ids=[batch.id],
        ),
    )
    recall = await recalls.approve_recall(
        await make_actor("qa_manager"), proposed.id, PASSWORD, "Approved"
    )
    due = next(d.due_at for d in recall.deadlines if d.name == "wholesale_complete")
    moment = START + (due - START) * 0.55
    move_to(moment)

    assert await notices.send_due_reminders(moment) == 1
    assert await reminders() == []
    found, _ = await alerts.list_alerts(recall_id=recall.id, kind="unreachable")
    assert any("reminder" in alert.detail and "D-PBF" in alert.detail for alert in found)


# Escalation -----------------------------------------------------------------------------------


async def deadline_rows(world) -> dict[str, datetime | None]:
    rows = await db.fetch(
        "SELECT name, escalated_at FROM recall_deadline WHERE recall = {}", world["recall"].id
    )
    return {row["name"]: db.as_utc(row["escalated_at"]) for row in rows}


async def deadline_alerts(world) -> list[alerts.Alert]:
    found, _ = await alerts.list_alerts(recall_id=world["recall"].id, kind="deadline_passed")
    return found


async def test_passed_notify_deadline_is_escalated_once_naming_consignees(world, move_to):
    moment = world["due"]["notify_consignees"] + timedelta(minutes=1)
    move_to(moment)

    assert await recalls.escalate_passed_deadlines(moment) == 1
    (alert,) = await deadline_alerts(world)
    assert "notify_consignees" in alert.detail
    assert "3 consignee(s)" in alert.detail
    for code in ("A-PBF", "B-PBF", "C-APT"):
        assert code in alert.detail
    escalated = await deadline_rows(world)
    assert escalated["notify_consignees"] == moment
    assert escalated["wholesale_complete"] is None
    (entry,) = await recall_actions(world, "deadline_passed")
    assert entry.new_values["deadline"] == "notify_consignees"
    assert entry.new_values["open"] == 3

    assert await recalls.escalate_passed_deadlines(moment + timedelta(hours=1)) == 0
    assert len(await deadline_alerts(world)) == 1
    assert len(await recall_actions(world, "deadline_passed")) == 1


async def test_passed_deadline_without_open_work_is_marked_without_alert(world, move_to):
    await db.fetch(
        "UPDATE notice SET notified_at = {} WHERE recall = {}", START, world["recall"].id
    )
    moment = world["due"]["notify_consignees"] + timedelta(minutes=1)
    move_to(moment)

    assert await recalls.escalate_passed_deadlines(moment) == 0
    assert await deadline_alerts(world) == []
    assert (await deadline_rows(world))["notify_consignees"] == moment
    (entry,) = await recall_actions(world, "deadline_passed")
    assert entry.new_values["open"] == 0


async def test_wholesale_deadline_names_only_wholesale_non_responders(world, move_to):
    await db.fetch(
        "UPDATE notice SET notified_at = {} WHERE recall = {}", START, world["recall"].id
    )
    await respond(world, "B-PBF")
    moment = world["due"]["wholesale_complete"] + timedelta(minutes=1)
    move_to(moment)
    # Sent and recorded: the initial report deadline is met and never escalated.
    await recalls.record_submission(
        await make_actor("qa"),
        world["recall"].id,
        recalls.SubmissionRecord("initial_report", "BPOM", START + timedelta(hours=1), "email"),
    )

    assert await recalls.escalate_passed_deadlines(moment) == 1
    (alert,) = await deadline_alerts(world)
    assert "wholesale_complete" in alert.detail
    assert "1 consignee(s)" in alert.detail and "A-PBF" in alert.detail
    assert "B-PBF" not in alert.detail and "C-APT" not in alert.detail
    assert alert.consignee_code == "A-PBF"
    escalated = await deadline_rows(world)
    # Every passed deadline is looked at once; status reports keep their own schedule.
    assert {name for name, at in escalated.items() if at is not None} == {
        "notify_consignees", "wholesale_complete", "status_report",
    }  # fmt: skip
    assert escalated["retail_complete"] is None
    assert escalated["initial_report"] is None


async def test_initial_report_deadline_alerts_when_no_report_is_filed(world, move_to):
    await db.fetch(
        "UPDATE notice SET notified_at = {} WHERE recall = {}", START, world["recall"].id
    )
    moment = world["due"]["initial_report"] + timedelta(minutes=1)
    move_to(moment)

    assert await recalls.escalate_passed_deadlines(moment) == 1
    (alert,) = await deadline_alerts(world)
    assert "initial_report" in alert.detail and "no initial_report sent to BPOM" in alert.detail
    # A status report filed in the system is not the report sent to the authority.
    await recalls.file_status_report(await make_actor("qa"), world["recall"].id)
    deadlines = (await recalls.get_recall(world["recall"].id)).deadlines
    assert next(d for d in deadlines if d.key == "initial_report").met_at is None


async def test_closed_recall_is_not_escalated(world, move_to):
    await db.fetch("UPDATE recall SET status = 'closed' WHERE id = {}", world["recall"].id)
    moment = world["due"]["retail_complete"] + timedelta(days=1)
    move_to(moment)
    assert await recalls.escalate_passed_deadlines(moment) == 0
    assert set((await deadline_rows(world)).values()) == {None}

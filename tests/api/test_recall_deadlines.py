"""A recall's deadlines: what meets each, lateness, and the QA manager's signed override."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recall import db, recalls
from tests.api.authorities_setup import (
    HOUR,
    deadline_of,
    notify_all,
    override,
    recall_trail,
    respond_all,
    submit,
)
from tests.factories import START, headers_for, headers_of, make_user, propose, recent_batch
from tests.reads import moment, recall_read


async def escalated_at(recall_id: int, key: str):
    rows = await db.fetch(
        "SELECT escalated_at FROM recall_deadline WHERE recall = {} AND name = {}",
        recall_id,
        key,
    )
    return rows[0]["escalated_at"]


async def test_deadlines_answer_their_key_profile_authority_and_state(client, move_to, world):
    recall = await recall_read(client, world["recall"]["id"])
    keys = [d["key"] for d in recall["deadlines"]]
    assert set(keys) == {
        "notify_consignees", "initial_report", "wholesale_complete", "retail_complete",
        "status_report",
    }  # fmt: skip
    for deadline in recall["deadlines"]:
        assert deadline["name"] == deadline["key"]
        assert deadline["profile"] == "bpom" and deadline["authority"] == "BPOM"
        assert deadline["basis"] == "approval"
        assert deadline["met_at"] is None and deadline["overridden"] is False
        assert deadline["late"] is False and deadline["days_late"] is None
        assert deadline["rule"] and deadline["due_at"]


async def test_progress_meets_notification_and_each_level(client, move_to, world):
    recall_id = world["recall"]["id"]
    await notify_all(recall_id, START + HOUR)
    await respond_all(recall_id, START + 2 * HOUR, ("A-PBF",))
    recall = await recall_read(client, recall_id)
    assert moment(deadline_of(recall, "notify_consignees")["met_at"]) == START + HOUR
    assert moment(deadline_of(recall, "wholesale_complete")["met_at"]) == START + 2 * HOUR
    # The pharmacy (retail level) has not answered yet.
    assert deadline_of(recall, "retail_complete")["met_at"] is None
    assert deadline_of(recall, "initial_report")["met_at"] is None


async def test_unmet_deadline_past_due_is_late_by_whole_days(client, move_to, world):
    recall_id = world["recall"]["id"]
    due = moment(deadline_of(world["recall"], "initial_report")["due_at"])
    move_to(due + timedelta(minutes=5))
    late = deadline_of(await recall_read(client, recall_id), "initial_report")
    assert late["late"] is True and late["days_late"] == 1
    move_to(due + timedelta(days=3, hours=2))
    late = deadline_of(await recall_read(client, recall_id), "initial_report")
    assert late["days_late"] == 3


async def test_a_deadline_met_after_it_was_due_stays_late(client, move_to, world):
    recall_id = world["recall"]["id"]
    due = moment(deadline_of(world["recall"], "notify_consignees")["due_at"])
    await notify_all(recall_id, due + timedelta(days=2, hours=1))
    move_to(due + timedelta(days=9))
    met = deadline_of(await recall_read(client, recall_id), "notify_consignees")
    assert moment(met["met_at"]) == due + timedelta(days=2, hours=1)
    assert met["late"] is True and met["days_late"] == 2


# Override ------------------------------------------------------------------------------------


async def test_qa_manager_overrides_a_deadline_with_a_signature(client, move_to, world):
    recall_id = world["recall"]["id"]
    old = moment(deadline_of(world["recall"], "initial_report")["due_at"])
    new_due = old + timedelta(days=5)
    response = await override(client, recall_id, "initial_report", new_due)
    assert response.status_code == 200, response.text
    changed = deadline_of(response.json(), "initial_report")
    assert moment(changed["due_at"]) == new_due
    assert changed["overridden"] is True
    assert changed["override_reason"] == "BPOM order letter sets 10 days for the initial report"
    assert response.json()["signatures"][-1]["action"] == "override_deadline"
    (entry,) = await recall_trail(client, recall_id, "deadline_overridden")
    assert moment(entry["old_values"]["due_at"]) == old
    assert moment(entry["new_values"]["due_at"]) == new_due
    assert entry["new_values"]["reason"].startswith("BPOM order letter")
    assert await recall_read(client, recall_id) == response.json()


async def test_the_proposer_may_override_too(client, move_to):
    """An override is not the approval: no four-eyes rule, only the role."""
    manager = await make_user("qa", "qa_manager")
    headers = await headers_of(manager)
    batch = await recent_batch()
    proposed = await propose(client, headers, batch_ids=[batch.id])
    approved = await client.post(
        f"/api/recalls/{proposed['id']}/approve",
        json={"password": "correct horse battery staple", "meaning": "Approved"},
        headers=await headers_for("qa_manager"),
    )
    assert approved.status_code == 200, approved.text
    due = START + timedelta(days=30)
    response = await override(client, proposed["id"], "retail_complete", due, headers=headers)
    assert response.status_code == 200, response.text


async def test_wrong_password_changes_nothing(client, move_to, world):
    recall_id = world["recall"]["id"]
    before = await recall_read(client, recall_id)
    due = START + timedelta(days=40)
    response = await override(client, recall_id, "initial_report", due, password="guess")
    assert response.status_code == 401, response.text
    assert await recall_read(client, recall_id) == before
    actions = [e["action"] for e in await recall_trail(client, recall_id)]
    assert "deadline_overridden" not in actions and "signature_refused" in actions


async def test_locked_signing_is_429(client, move_to, world):
    recall_id = world["recall"]["id"]
    user = await make_user("qa_manager")
    headers = await headers_of(user)
    due = START + timedelta(days=40)
    for _ in range(5):
        wrong = await override(
            client, recall_id, "initial_report", due, headers=headers, password="guess"
        )
        assert wrong.status_code == 401
    locked = await override(client, recall_id, "initial_report", due, headers=headers)
    assert locked.status_code == 429, locked.text


@pytest.mark.parametrize("role", ["distributor", "qa", "inspector", "admin", "cs"])
async def test_only_a_qa_manager_overrides(client, move_to, world, role):
    recall_id = world["recall"]["id"]
    code = world["pbf"].code if role == "distributor" else None
    headers = await headers_for(role, consignee_code=code)
    before = await recall_read(client, recall_id)
    due = START + timedelta(days=40)
    response = await override(client, recall_id, "initial_report", due, headers=headers)
    assert response.status_code == 403, response.text
    assert await recall_read(client, recall_id) == before


async def test_no_token_no_override(client, world):
    response = await client.post(
        f"/api/recalls/{world['recall']['id']}/deadlines/initial_report/override",
        json={"due_at": "2026-04-01T00:00:00Z", "reason": "x", "password": "x", "meaning": "x"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "key", ["no_such_deadline", "initial_report%27%20OR%201=1--", "INITIAL_REPORT", "x" * 300]
)
async def test_unknown_deadline_is_404(client, move_to, world, key):
    response = await override(client, world["recall"]["id"], key, START + timedelta(days=9))
    assert response.status_code == 404, response.text


async def test_unknown_recall_or_profile_is_404(client, move_to, world):
    due = START + timedelta(days=9)
    assert (await override(client, 999_999, "initial_report", due)).status_code == 404
    wrong_profile = await override(
        client, world["recall"]["id"], "initial_report", due, profile="fda"
    )
    assert wrong_profile.status_code == 404


async def test_bad_override_bodies(client, move_to, world):
    recall_id = world["recall"]["id"]
    path = f"/api/recalls/{recall_id}/deadlines/initial_report/override"
    headers = await headers_for("qa_manager")
    base = {"due_at": "2026-04-01T00:00:00+07:00", "reason": "Order", "password": "x",
            "meaning": "Set"}  # fmt: skip
    for changes, field in (
        ({"due_at": "2026-04-01T00:00:00"}, "due_at"),  # no time zone
        ({"due_at": "1800-04-01T00:00:00Z"}, "due_at"),
        ({"reason": "   "}, "reason"),
        ({"reason": "r" * 1001}, "reason"),
    ):
        response = await client.post(path, json={**base, **changes}, headers=headers)
        assert response.status_code in (400, 422), response.text
        assert response.json()["field"] == field
    assert not deadline_of(await recall_read(client, recall_id), "initial_report")["overridden"]


async def test_closed_recall_keeps_its_deadlines(client, move_to, world):
    recall_id = world["recall"]["id"]
    await db.fetch("UPDATE recall SET status = 'closed' WHERE id = {}", recall_id)
    response = await override(client, recall_id, "initial_report", START + timedelta(days=9))
    assert response.status_code == 409, response.text


async def test_an_override_into_the_future_escalates_again(client, move_to, world):
    recall_id = world["recall"]["id"]
    due = moment(deadline_of(world["recall"], "initial_report")["due_at"])
    move_to(due + HOUR)
    assert await recalls.escalate_passed_deadlines() >= 1
    assert await escalated_at(recall_id, "initial_report") is not None
    response = await override(client, recall_id, "initial_report", due + timedelta(days=3))
    assert response.status_code == 200, response.text
    assert await escalated_at(recall_id, "initial_report") is None
    assert deadline_of(response.json(), "initial_report")["late"] is False
    # Moved again, still into the past: the escalation stands.
    move_to(due + timedelta(days=4))
    assert await recalls.escalate_passed_deadlines() >= 1
    again = await override(client, recall_id, "initial_report", due + timedelta(days=3, hours=1))
    assert again.status_code == 200, again.text
    assert await escalated_at(recall_id, "initial_report") is not None


async def test_a_met_deadline_is_not_escalated(client, move_to, world):
    recall_id = world["recall"]["id"]
    sent = await submit(client, recall_id, submitted_at=(START + HOUR).isoformat())
    assert sent.status_code == 422  # the clock stands at approval: an hour ahead is the future
    move_to(START + 2 * HOUR)
    sent = await submit(client, recall_id, submitted_at=(START + HOUR).isoformat())
    assert sent.status_code == 201, sent.text
    due = moment(deadline_of(world["recall"], "initial_report")["due_at"])
    move_to(due + HOUR)
    await recalls.escalate_passed_deadlines()
    assert await escalated_at(recall_id, "initial_report") is None

"""Closing a recall with an e-signature over its reconciliation; readiness (drill) figures."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from recall import db, recalls
from recall.auth._signatures import record_hash
from tests.factories import (
    LABEL_MIX_UP,
    PASSWORD,
    approved_recall,
    destroy,
    headers_for,
    make_batch,
    make_consignee,
    propose,
    recent_batch,
    report,
    ship,
)
from tests.reads import moment, my_notices, recall_read, reconciliation


async def close(client, recall_id, headers=None, password=PASSWORD, **body):
    return await client.post(
        f"/api/recalls/{recall_id}/close",
        json={"password": password, "meaning": "Recall completed; stock recovered", **body},
        headers=headers or await headers_for("qa_manager"),
    )


async def trail(client, recall_id) -> list[dict]:
    response = await client.get(
        "/api/audit",
        params={"entity": "recall", "entity_id": str(recall_id)},
        headers=await headers_for("admin"),
    )
    return response.json()["items"]


@pytest.fixture
async def accounted(client):
    """One batch, 100 units to one PBF, all accounted for: 60 returned, 40 destroyed on site."""
    batch = await recent_batch()
    await ship(batch, await make_consignee("PBF-OK"), 100)
    recall = await approved_recall(client, batch, drill=True)
    headers = await headers_for("distributor", consignee_code="PBF-OK")
    notice_id = (await my_notices(client, headers))["items"][0]["id"]
    world = {"b1": batch, "recall": recall, "notices": {"PBF-OK": notice_id}}
    world["headers"] = {"PBF-OK": headers}
    await report(client, world, "PBF-OK", stock={"b1": 0}, returns={"b1": 60})
    assert (await destroy(client, world, 40, consignee_code="PBF-OK")).status_code == 201
    return world


async def test_unaccounted_units_need_a_justification(client, two_tiers):
    recall_id = two_tiers["recall"]["id"]
    for justification in (None, "", "   "):
        body = {} if justification is None else {"justification": justification}
        refused = await close(client, recall_id, **body)
        assert refused.status_code == 409, refused.text
        assert "1800 units are unaccounted" in refused.json()["detail"]
    shown = await recall_read(client, recall_id)
    assert shown["status"] == "in_progress"
    assert shown["closed_at"] is None
    assert [s["action"] for s in shown["signatures"]] == ["approve"]

    closed = await close(client, recall_id, justification="Drill: no stock was moved")
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed"
    assert body["closed_at"] is not None
    assert body["closure_justification"] == "Drill: no stock was moved"
    signature = body["signatures"][-1]
    assert signature["action"] == "close"
    assert signature["meaning"] == "Recall completed; stock recovered"
    assert signature["full_name"].startswith("Test")
    assert await recall_read(client, recall_id) == body
    entry = next(e for e in await trail(client, recall_id) if e["action"] == "closed")
    assert entry["reason"] == "Drill: no stock was moved"
    assert entry["new_values"]["totals"]["quantity_unaccounted"] == 1800
    assert entry["old_values"]["status"] == "in_progress"


async def test_a_fully_accounted_recall_closes_without_justification(client, accounted):
    recall_id = accounted["recall"]["id"]
    found = await reconciliation(client, recall_id)
    assert found["totals"]["quantity_unaccounted"] == 0
    closed = await close(client, recall_id)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed"
    assert body["closure_justification"] is None
    assert body["drill"] is True
    # The signature covers exactly the final reconciliation.
    expected = recalls.closure_record(body["reference"], await recalls.reconcile(recall_id), None)
    assert expected["totals"]["quantity_returned"] == 60
    assert expected["totals"]["quantity_destroyed"] == 40
    assert body["signatures"][-1]["record_hash"] == record_hash(expected)


async def test_wrong_password_is_401_changes_nothing_and_is_audited(client, accounted):
    recall_id = accounted["recall"]["id"]
    before = await recall_read(client, recall_id)
    refused = await close(client, recall_id, password="not my password")
    assert refused.status_code == 401, refused.text
    after = await recall_read(client, recall_id)
    assert after == before
    assert after["status"] == "in_progress"
    actions = [e["action"] for e in await trail(client, recall_id)]
    assert "signature_refused" in actions
    assert "closed" not in actions


async def test_closing_twice_and_closing_a_proposal_are_409(client, accounted):
    recall_id = accounted["recall"]["id"]
    assert (await close(client, recall_id)).status_code == 200
    again = await close(client, recall_id, justification="once more")
    assert again.status_code == 409, again.text
    shown = await recall_read(client, recall_id)
    assert [s["action"] for s in shown["signatures"]] == ["approve", "close"]

    batch = await make_batch()
    proposed = await propose(client, batch_ids=[batch.id], **LABEL_MIX_UP)
    refused = await close(client, proposed["id"], justification="never started")
    assert refused.status_code == 409, refused.text
    assert (await recall_read(client, proposed["id"]))["status"] == "proposed"


@pytest.mark.faults  # a race: run with the other fault tests
async def test_simultaneous_closures_produce_exactly_one(client, accounted):
    recall_id = accounted["recall"]["id"]
    first, second = await headers_for("qa_manager"), await headers_for("qa_manager")
    responses = await asyncio.gather(
        close(client, recall_id, first), close(client, recall_id, second)
    )
    assert sorted(response.status_code for response in responses) == [200, 409]
    shown = await recall_read(client, recall_id)
    assert [s["action"] for s in shown["signatures"]] == ["approve", "close"]


async def test_consignees_cannot_change_a_closed_recall(client, accounted):
    recall_id = accounted["recall"]["id"]
    assert (await close(client, recall_id)).status_code == 200
    notice_id = accounted["notices"]["PBF-OK"]
    headers = accounted["headers"]["PBF-OK"]
    batch_no = accounted["b1"].batch_no
    for path, body in (
        ("stock", {"lines": [{"batch_no": batch_no, "quantity_on_hand": 5, "quarantined": 5}]}),
        ("returns", {"lines": [{"batch_no": batch_no, "quantity": 5}]}),
        ("acknowledge", None),
    ):
        response = await client.post(f"/api/notices/{notice_id}/{path}", json=body, headers=headers)
        assert response.status_code == 409, (path, response.text)
    # What they reported before closure stays readable and unchanged.
    shown = await client.get(f"/api/notices/{notice_id}", headers=headers)
    assert shown.status_code == 200
    assert shown.json()["lines"][0]["quantity_returned"] == 60


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"meaning": "  "}, 422),
        ({"meaning": ""}, 400),
        ({"justification": "x" * 5001}, 400),
    ],
)
async def test_bad_closure_bodies(client, accounted, body, status):
    recall_id = accounted["recall"]["id"]
    response = await close(client, recall_id, **body)
    assert response.status_code in (400, 422), response.text
    assert (await recall_read(client, recall_id))["status"] == "in_progress"


async def test_who_may_close(client, accounted):
    recall_id = accounted["recall"]["id"]
    for role in ("qa", "inspector", "admin"):
        response = await close(client, recall_id, await headers_for(role))
        assert response.status_code == 403, role
    distributor = await close(client, recall_id, accounted["headers"]["PBF-OK"])
    assert distributor.status_code == 403
    assert (await close(client, 999_999)).status_code == 404
    assert (await recall_read(client, recall_id))["status"] == "in_progress"


# Readiness ----------------------------------------------------------------------------------


async def test_drill_reports_time_to_trace_and_time_to_notify(client, two_tiers):
    recall_id = two_tiers["recall"]["id"]
    shown = await recall_read(client, recall_id)
    assert shown["closed_at"] is None
    assert shown["closure_justification"] is None
    trace_ms = (await db.fetch("SELECT trace_ms FROM recall WHERE id = {}", recall_id))[0]
    assert shown["time_to_trace_seconds"] == trace_ms["trace_ms"] / 1000
    assert shown["time_to_trace_seconds"] >= 0
    assert shown["time_to_notify_seconds"] is None

    approved_at = moment(shown["approved_at"])
    ids = sorted(two_tiers["notices"].values())
    # Deliveries land 30 s, 45 s, 60 s after approval; the last notice is still out.
    for offset, notice_id in zip((30, 45, 60), ids[:3], strict=True):
        await db.fetch(
            "UPDATE notice SET notified_at = {} WHERE id = {}",
            approved_at + timedelta(seconds=offset),
            notice_id,
        )
    assert (await recall_read(client, recall_id))["time_to_notify_seconds"] is None
    await db.fetch(
        "UPDATE notice SET notified_at = {} WHERE id = {}",
        approved_at + timedelta(seconds=125.5),
        ids[3],
    )
    shown = await recall_read(client, recall_id)
    assert shown["time_to_notify_seconds"] == 125.5
    assert shown["notified"] == 4


async def test_drill_flag_and_figures_stay_on_a_closed_recall(client, accounted):
    recall_id = accounted["recall"]["id"]
    closed = (await close(client, recall_id)).json()
    assert closed["drill"] is True
    assert closed["time_to_trace_seconds"] is not None


async def test_a_proposal_has_no_readiness_figures_yet(client):
    batch = await make_batch()
    proposed = await propose(
        client,
        reason="Mock recall",
        recall_class="III",
        depth="wholesale",
        health_hazard_assessment="Drill only.",
        batch_ids=[batch.id],
        drill=True,
    )
    shown = await recall_read(client, proposed["id"])
    assert shown["drill"] is True
    assert shown["time_to_trace_seconds"] is None
    assert shown["time_to_notify_seconds"] is None
    assert shown["closed_at"] is None

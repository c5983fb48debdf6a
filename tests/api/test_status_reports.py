"""Recall status reports (21 CFR 7.53): filed on the profile's interval by the schedule or on
demand by QA, numbered once per recall, with the figures frozen when filed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from recall import audit, db, recalls
from recall.actors import SYSTEM
from tests.factories import (
    START,
    approved_recall,
    headers_for,
    make_batch,
    make_consignee,
    recent_batch,
    ship,
)

WEEK = timedelta(weeks=1)  # BPOM class I: a status report every week


@pytest.fixture
async def world(client, move_to):
    batch = await recent_batch()
    first = await make_consignee("A-PBF")
    second = await make_consignee("B-PBF")
    pharmacy = await make_consignee("C-APT", kind="pharmacy")
    await ship(batch, first, 600)
    await ship(batch, second, 400)
    await ship(batch, pharmacy, 50, sender=first)
    recall = await approved_recall(client, batch, meaning="Approved for recall")
    return {"batch": batch, "recall": recall, "second": second}


async def status_reports(client, recall_id, role="inspector") -> dict:
    response = await client.get(
        f"/api/recalls/{recall_id}/status-reports", headers=await headers_for(role)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_reports_are_filed_per_interval_and_only_once(client, world, move_to):
    recall_id = world["recall"]["id"]
    move_to(START + WEEK - timedelta(minutes=1))
    assert await recalls.file_due_status_reports() == 0

    move_to(START + WEEK + timedelta(minutes=1))
    assert await recalls.file_due_status_reports() == 1
    assert await recalls.file_due_status_reports() == 0
    page = await status_reports(client, recall_id)
    assert page["total"] == 1
    (first,) = page["items"]
    assert first["number"] == 1
    assert first["content"]["scheduled_for"].startswith("2026-03-09T02:00")

    # The schedule missed a week: both missing numbers are filed, nothing twice.
    moment = START + 3 * WEEK + timedelta(minutes=1)
    move_to(moment)
    filed = await asyncio.gather(
        recalls.file_due_status_reports(moment), recalls.file_due_status_reports(moment)
    )
    assert sum(filed) == 2
    page = await status_reports(client, recall_id)
    assert [item["number"] for item in page["items"]] == [1, 2, 3]
    assert page["total"] == 3
    filed_entries = [
        entry
        for entry in await audit.history("recall", recall_id)
        if entry.action == "status_report_filed"
    ]
    assert [entry.new_values["number"] for entry in filed_entries] == [1, 2, 3]
    assert {entry.actor_name for entry in filed_entries} == {SYSTEM.display_name}


async def test_content_has_the_figures_of_21_cfr_7_53(client, world, move_to):
    recall_id = world["recall"]["id"]
    await db.fetch("UPDATE notice SET notified_at = {} WHERE recall = {}", START, recall_id)
    second = world["second"]
    headers = await headers_for("distributor", consignee_code=second.code)
    (notice,) = (await client.get("/api/notices", headers=headers)).json()["items"]
    answered = await client.post(
        f"/api/notices/{notice['id']}/stock",
        json={"lines": [{"batch_no": world["batch"].batch_no, "quantity_on_hand": 150,
                         "quarantined": 150}]},
        headers=headers,
    )  # fmt: skip
    assert answered.status_code in (200, 201), answered.text
    returned = await client.post(
        f"/api/notices/{notice['id']}/returns",
        json={"lines": [{"batch_no": world["batch"].batch_no, "quantity": 250}]},
        headers=headers,
    )
    assert returned.status_code in (200, 201), returned.text
    check = await client.post(
        f"/api/recalls/{recall_id}/effectiveness-checks",
        json={"level": "A"},
        headers=await headers_for("qa"),
    )
    assert check.status_code == 201, check.text
    move_to(START + timedelta(days=2))

    response = await client.post(
        f"/api/recalls/{recall_id}/status-reports", headers=await headers_for("qa")
    )

    assert response.status_code == 201, response.text
    report = response.json()
    assert report["number"] == 1
    content = report["content"]
    assert content["drill"] is False
    assert content["recall"]["reference"] == world["recall"]["reference"]
    assert content["scheduled_for"] is None
    notification = content["notification"]
    assert notification["consignees"] == 3
    assert notification["notified"] == 3
    assert notification["first_notified_at"].startswith("2026-03-02T02:00")
    responses = content["responses"]
    assert responses["responding"] == 1
    assert responses["quantity_on_hand"] == 150
    assert responses["not_responding"] == 2
    assert responses["not_responding_codes"] == ["A-PBF", "C-APT"]
    assert content["quantities"] == {
        "distributed": 1000, "on_hand": 150, "returned": 250, "destroyed": 0, "unaccounted": 600,
    }  # fmt: skip
    assert [tier["tier"] for tier in content["tiers"]] == [1, 2]
    assert content["tiers"][1]["consignees"] == 1
    assert content["effectiveness_checks"]["checks"] == 1
    assert content["effectiveness_checks"]["contacts"] == 3
    assert content["effectiveness_checks"]["contacted"] == 0
    assert content["estimated_completion"]["deadline"] == "retail_complete"
    due = {d["name"]: d["due_at"] for d in world["recall"]["deadlines"]}
    assert content["estimated_completion"]["due_at"][:19] == due["retail_complete"][:19]

    # The frozen figures do not move with later answers.
    headers = await headers_for("distributor", consignee_code=second.code)
    again = await client.post(
        f"/api/notices/{notice['id']}/returns",
        json={"lines": [{"batch_no": world["batch"].batch_no, "quantity": 100}]},
        headers=headers,
    )
    assert again.status_code in (200, 201), again.text
    (listed,) = (await status_reports(client, recall_id))["items"]
    assert listed["content"]["quantities"]["returned"] == 250


async def test_on_demand_report_takes_the_next_number(client, world, move_to):
    recall_id = world["recall"]["id"]
    move_to(START + WEEK + timedelta(minutes=1))
    assert await recalls.file_due_status_reports() == 1
    response = await client.post(
        f"/api/recalls/{recall_id}/status-reports", headers=await headers_for("qa")
    )
    assert response.status_code == 201, response.text
    assert response.json()["number"] == 2
    assert response.json()["content"]["filed_by"].startswith("Test Qa")
    # Number 2 is taken; the schedule files 3 when its time comes, not 2 again.
    move_to(START + 2 * WEEK + timedelta(minutes=1))
    assert await recalls.file_due_status_reports() == 0
    move_to(START + 3 * WEEK + timedelta(minutes=1))
    assert await recalls.file_due_status_reports() == 1
    page = await status_reports(client, recall_id, role="qa")
    assert [item["number"] for item in page["items"]] == [1, 2, 3]


async def test_drill_reports_are_marked(client, move_to):
    batch = await make_batch()
    await ship(batch, await make_consignee("D-PBF"), 100)
    recall = await approved_recall(client, batch, meaning="Approved for recall", drill=True)
    response = await client.post(
        f"/api/recalls/{recall['id']}/status-reports", headers=await headers_for("qa")
    )
    assert response.status_code == 201, response.text
    assert response.json()["content"]["drill"] is True


async def test_who_may_file_and_read(client, world):
    recall_id = world["recall"]["id"]
    for role in ("inspector", "qa_manager", "cs"):
        response = await client.post(
            f"/api/recalls/{recall_id}/status-reports", headers=await headers_for(role)
        )
        assert response.status_code == 403, role
    response = await client.get(
        f"/api/recalls/{recall_id}/status-reports", headers=await headers_for("cs")
    )
    assert response.status_code == 403


async def test_unknown_and_not_in_progress_recalls(client, world):
    headers = await headers_for("qa")
    assert (
        await client.get("/api/recalls/999999/status-reports", headers=headers)
    ).status_code == 404
    assert (
        await client.post("/api/recalls/999999/status-reports", headers=headers)
    ).status_code == 404
    batch = await make_batch()
    proposed = await client.post(
        "/api/recalls",
        json={"reason": "r", "recall_class": "III", "recall_type": "voluntary",
              "depth": "wholesale", "profile": "fda", "health_hazard_assessment": "none",
              "batch_ids": [batch.id]},
        headers=headers,
    )  # fmt: skip
    response = await client.post(
        f"/api/recalls/{proposed.json()['id']}/status-reports", headers=headers
    )
    assert response.status_code == 409
    await db.fetch("UPDATE recall SET status = 'closed' WHERE id = {}", world["recall"]["id"])
    response = await client.post(
        f"/api/recalls/{world['recall']['id']}/status-reports", headers=headers
    )
    assert response.status_code == 409
    assert await recalls.file_due_status_reports(START + 10 * WEEK) == 0

"""A national recall opens its tier-1 notices in the approval and the rest after it, in
chunks: the approval's answer already states the whole scope, every consignee gets exactly
one notice however the opening is cut short and resumed, and until the last chunk is in no
deadline counts as met and the recall can be neither amended nor closed."""

from __future__ import annotations

import pytest

from recall import audit, db, notices, recalls
from recall.recalls import _opening as opening
from tests.factories import PASSWORD, headers_for
from tests.national import approve, distribute_nationally, propose_for
from tests.workers.delivery_setup import FakeSender, deliver_jobs
from workers.jobs import open_notices

WHOLESALERS, OUTLETS = 2, 7


@pytest.fixture(autouse=True)
def national_from_three(monkeypatch):
    """A recall of more than two notices opens as a national one, three notices a chunk."""
    monkeypatch.setattr(opening, "OPEN_AT_APPROVAL", 2)
    monkeypatch.setattr(opening, "CHUNK", 3)


async def approved_nationally(client) -> tuple[int, dict]:
    distribution = await distribute_nationally(["http://127.0.0.1:9/h"], WHOLESALERS, OUTLETS)
    recall_id = await propose_for(client, distribution)
    answer = await approve(client, recall_id)
    assert answer.status_code == 200, answer.text
    return recall_id, answer.json()


async def consignees_with_notices(recall_id: int) -> list[int]:
    rows = await db.fetch("SELECT consignee FROM notice WHERE recall = {}", recall_id)
    return [int(row["consignee"]) for row in rows]


async def opening_job() -> int:
    [row] = await db.fetch(
        "SELECT id FROM outbox WHERE job = {} AND done_at IS NULL", recalls.OPEN_NOTICES_JOB
    )
    return int(row["id"])


async def test_the_approval_states_the_whole_scope_and_opens_tier_one(client):
    recall_id, shown = await approved_nationally(client)
    assert shown["consignees_total"] == WHOLESALERS + OUTLETS
    assert len(await consignees_with_notices(recall_id)) == WHOLESALERS
    tiers = {row["tier"] for row in await db.fetch("SELECT tier FROM notice")}
    assert tiers == {1}
    await opening_job()  # the rest is queued with the approval, in its transaction


async def test_the_rest_opens_in_chunks_that_resume_and_each_consignee_gets_one_notice(
    client, queue
):
    recall_id, _ = await approved_nationally(client)
    # Cut short after the first chunk, as when a run reaches its time budget.
    assert not await recalls.open_remaining_notices(recall_id, budget_seconds=0)
    assert len(await consignees_with_notices(recall_id)) == WHOLESALERS + 3
    await open_notices({"redis": queue}, await opening_job())  # the worker's job resumes
    opened = await consignees_with_notices(recall_id)
    assert len(opened) == len(set(opened)) == WHOLESALERS + OUTLETS
    assert (
        await db.fetch(
            "SELECT id FROM outbox WHERE job = {} AND done_at IS NULL", recalls.OPEN_NOTICES_JOB
        )
        == []
    )
    # Every notice's deliveries are queued, and the audit trail names each chunk.
    delivered = await db.fetch("SELECT DISTINCT notice FROM delivery")
    assert len(delivered) == WHOLESALERS + OUTLETS
    entries = await audit.history("recall", recall_id)
    chunks = [entry.new_values for entry in entries if entry.action == "notices_opened"]
    assert chunks == [{"notices": 3, "last": False}] * 2 + [{"notices": 1, "last": True}]


async def test_a_late_distribution_record_and_the_opening_do_not_open_a_notice_twice(client):
    recall_id, _ = await approved_nationally(client)
    waiting = await db.fetch(
        "SELECT s.id AS id, s.consignee AS consignee FROM shipment s WHERE s.sender IS NOT NULL "
        "AND s.consignee NOT IN (SELECT consignee FROM notice) ORDER BY s.id LIMIT 1"
    )
    await recalls.reach_late_shipments([int(waiting[0]["id"])])  # reaches it first
    assert await recalls.open_remaining_notices(recall_id, budget_seconds=60)
    opened = await consignees_with_notices(recall_id)
    assert len(opened) == len(set(opened)) == WHOLESALERS + OUTLETS


async def test_while_opening_no_deadline_is_met_and_the_recall_cannot_be_amended_or_closed(
    client,
):
    recall_id, _ = await approved_nationally(client)
    for outbox_id in await deliver_jobs():
        await notices.deliver(outbox_id, FakeSender())  # every opened notice is delivered
    shown = (await client.get(f"/api/recalls/{recall_id}", headers=await headers_for("qa"))).json()
    assert shown["notified"] == WHOLESALERS
    notify = [d for d in shown["deadlines"] if d["name"] == "notify_consignees"]
    assert notify and all(deadline["met_at"] is None for deadline in notify)

    amend = await client.post(
        f"/api/recalls/{recall_id}/amendments",
        json={"batch_ids": [shown["batches"][0]["id"]], "reason": "BPOM letter"},
        headers=await headers_for("qa"),
    )
    assert amend.status_code == 409, amend.text
    assert "still opening its notices" in amend.json()["detail"]
    close = await client.post(
        f"/api/recalls/{recall_id}/close",
        json={"password": PASSWORD, "meaning": "Closed", "justification": "test"},
        headers=await headers_for("qa_manager"),
    )
    assert close.status_code == 409, close.text

    assert await recalls.open_remaining_notices(recall_id, budget_seconds=60)
    shown = (await client.get(f"/api/recalls/{recall_id}", headers=await headers_for("qa"))).json()
    assert shown["consignees_total"] == WHOLESALERS + OUTLETS


async def test_a_regional_recall_opens_every_notice_in_the_approval(client, monkeypatch):
    monkeypatch.setattr(opening, "OPEN_AT_APPROVAL", WHOLESALERS + OUTLETS)
    recall_id, _ = await approved_nationally(client)
    assert len(await consignees_with_notices(recall_id)) == WHOLESALERS + OUTLETS
    rows = await db.fetch("SELECT id FROM outbox WHERE job = {}", recalls.OPEN_NOTICES_JOB)
    assert rows == []

"""Shipments recorded after a recall's approval reach their consignees through the worker:
a notice for a consignee not reached yet, the line (and an update) for one already reached,
within the recall's depth only; the job is safe to run twice."""

from __future__ import annotations

import json
from datetime import timedelta

from arq.connections import ArqRedis

from recall import audit, db, masterdata, notices, outbox, recalls
from recall.actors import SYSTEM
from recall.clock import today
from tests.factories import PASSWORD, make_actor, make_consignee, recent_batch
from tests.workers.delivery_setup import FakeSender
from tests.workers.test_delivery_jobs import run_worker
from workers.jobs import relay_outbox


async def shipped(batch, code: str, quantity: int, days_ago: int = 5, sender=None) -> None:
    await masterdata.record_shipment(
        SYSTEM, batch.gtin, batch.batch_no, code, quantity, today() - timedelta(days=days_ago),
        sender,
    )  # fmt: skip


async def recall_of(*batches, depth: str = "wholesale") -> int:
    proposed = await recalls.propose_recall(
        await make_actor("qa"),
        recalls.RecallProposal(
            batch_ids=[batch.id for batch in batches],
            reason="Diethylene glycol above limit",
            recall_class="I",
            recall_type="voluntary",
            depth=depth,
            profile="bpom",
            health_hazard_assessment="Serious: acute kidney injury",
        ),
    )
    await recalls.approve_recall(await make_actor("qa_manager"), proposed.id, PASSWORD, "Approved")
    return proposed.id


async def late_jobs() -> list[int]:
    rows = await db.fetch(
        "SELECT id FROM outbox WHERE job = {} ORDER BY id", masterdata.LATE_SHIPMENTS_JOB
    )
    return [int(row["id"]) for row in rows]


async def notices_of(recall_id: int) -> dict[str, dict[str, int]]:
    """Consignee code → batch no → quantity distributed on its notice."""
    rows = await db.fetch(
        "SELECT c.code AS code, b.batch_no AS batch_no, l.quantity_distributed AS quantity "
        "FROM notice n JOIN consignee c ON c.id = n.consignee "
        "JOIN notice_line l ON l.notice = n.id JOIN batch b ON b.id = l.batch "
        "WHERE n.recall = {}",
        recall_id,
    )
    found: dict[str, dict[str, int]] = {}
    for row in rows:
        found.setdefault(row["code"], {})[row["batch_no"]] = int(row["quantity"])
    return found


async def update_deliveries() -> list[str]:
    rows = await db.fetch(
        "SELECT message_id FROM delivery WHERE message = {} ORDER BY id", notices.Message.UPDATE
    )
    return [row["message_id"] for row in rows]


async def test_a_late_shipment_reaches_its_consignee_through_the_worker(queue: ArqRedis):
    b1, b2 = await recent_batch(), await recent_batch()
    await make_consignee("PBF-OLD")
    await make_consignee("PBF-LATE")
    await shipped(b1, "PBF-OLD", 1000, days_ago=20)
    await shipped(b2, "PBF-OLD", 100, days_ago=20)
    recall_id = await recall_of(b1, b2)
    assert await late_jobs() == []

    await shipped(b1, "PBF-LATE", 70)
    await shipped(b2, "PBF-OLD", 30)  # a second delivery of a batch PBF-OLD has a line for
    assert len(await late_jobs()) == 2

    sender = FakeSender()
    await relay_outbox({"redis": queue})
    await run_worker(queue, sender)

    assert await notices_of(recall_id) == {
        "PBF-OLD": {b1.batch_no: 1000, b2.batch_no: 130},
        "PBF-LATE": {b1.batch_no: 70},
    }
    found = await recalls.reconcile(recall_id)
    assert found.totals.quantity_distributed == 1000 + 130 + 70
    assert await outbox.pending() == 0
    # The new notice went out like the approval's; a recounted line is no news.
    assert {mail["To"] for mail in sender.mails} >= {"pbf-late@example.com"}
    assert await update_deliveries() == []
    rows = [
        e for e in await audit.history("recall", recall_id) if e.action == "late_shipments_reached"
    ]
    assert len(rows) == 2
    assert all(row.reason.startswith("late distribution record: shipment ") for row in rows)


async def test_running_the_job_again_changes_nothing(queue: ArqRedis):
    b1 = await recent_batch()
    await make_consignee("PBF-R1")
    await make_consignee("PBF-R2")
    await shipped(b1, "PBF-R1", 500, days_ago=20)
    recall_id = await recall_of(b1)
    await shipped(b1, "PBF-R2", 40)
    [job] = await late_jobs()
    shipment_ids = json.loads(
        (await db.fetch("SELECT payload FROM outbox WHERE id = {}", job))[0]["payload"]
    )["shipment_ids"]

    assert await recalls.reach_late_shipments(shipment_ids) == 1
    first = await notices_of(recall_id)
    deliveries = await db.fetch("SELECT COUNT(*) AS n FROM delivery")
    assert await recalls.reach_late_shipments(shipment_ids) == 0
    await relay_outbox({"redis": queue})
    await run_worker(queue, FakeSender())

    assert (
        await notices_of(recall_id)
        == first
        == {
            "PBF-R1": {b1.batch_no: 500},
            "PBF-R2": {b1.batch_no: 40},
        }
    )
    assert await db.fetch("SELECT COUNT(*) AS n FROM delivery") == deliveries
    assert (await db.fetch("SELECT COUNT(*) AS n FROM notice WHERE recall = {}", recall_id))[0][
        "n"
    ] == 2


async def test_a_consignee_already_reached_gets_the_new_batch_and_an_update(queue: ArqRedis):
    b1, b2 = await recent_batch(), await recent_batch()
    await make_consignee("PBF-U1")
    await make_consignee("PBF-U2")
    await shipped(b1, "PBF-U1", 300, days_ago=20)
    await shipped(b2, "PBF-U2", 300, days_ago=20)
    recall_id = await recall_of(b1, b2)
    await shipped(b2, "PBF-U1", 25)

    await relay_outbox({"redis": queue})
    sender = FakeSender()
    await run_worker(queue, sender)

    assert (await notices_of(recall_id))["PBF-U1"] == {b1.batch_no: 300, b2.batch_no: 25}
    [update_id] = await update_deliveries()
    assert update_id.endswith("_update1")
    updates = [m for m in sender.mails if m["Subject"].startswith("Pembaruan / Update")]
    assert [m["To"] for m in updates] == ["pbf-u1@example.com"]
    assert b2.batch_no in updates[0].get_content()


async def test_only_consignees_within_the_depth_are_reached(queue: ArqRedis):
    batch = await recent_batch()
    await make_consignee("PBF-D1")
    await make_consignee("APT-D1", kind="pharmacy")
    await shipped(batch, "PBF-D1", 500, days_ago=20)
    recall_id = await recall_of(batch, depth="wholesale")
    await shipped(batch, "APT-D1", 10, sender="PBF-D1")

    await relay_outbox({"redis": queue})
    await run_worker(queue, FakeSender())

    assert set(await notices_of(recall_id)) == {"PBF-D1"}
    assert await outbox.pending() == 0

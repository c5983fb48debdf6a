"""The dashboard's counters (notice_tally, kept by triggers) equal a full count of the notices
after every kind of change: approval, delivery, failure, acknowledgement, answers, cascade,
scope amendment, late shipment; also once folded, and under writers running at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from recall import clock, db, masterdata, notices, outbox, recalls
from recall.notices import _progress
from tests.api.helpers import entry, name
from tests.api.test_recall_amendments import deliver_all, proposed, scope_world, sign
from tests.factories import destroy, make_consignee, recent_batch, report_everything
from tests.tally_check import assert_tally_exact
from tests.workers.delivery_setup import FakeSender, consignee, deliver_jobs, recall_to
from tests.workers.test_late_shipments import recall_of, shipped


async def exact_now_and_later() -> None:
    await assert_tally_exact()
    # Past every deadline: overdue counts each group by its own respond-by.
    await assert_tally_exact(clock.now() + timedelta(days=400))


async def test_approval_answers_and_units(client, two_tiers):
    await exact_now_and_later()
    for code in ("PBF-A", "APT-C"):
        notice_id, headers = two_tiers["notices"][code], two_tiers["headers"][code]
        answer = await client.post(f"/api/notices/{notice_id}/acknowledge", headers=headers)
        assert answer.status_code == 200, answer.text
    await exact_now_and_later()
    await report_everything(client, two_tiers)
    assert (await destroy(client, two_tiers, 10, consignee_code="PBF-A")).status_code == 201
    await exact_now_and_later()
    progress = await notices.progress(two_tiers["recall"]["id"], clock.now())
    assert (progress.consignees_total, progress.acknowledged) == (4, 3)  # RS-D said nothing
    assert progress.quantity_distributed == 1000 + 500 + 300


async def test_delivery_and_failure():
    reached = await consignee("PBF-OK")
    gone = await consignee("PBF-GONE", email=False)
    await recall_to(reached, gone)
    sender = FakeSender(answers={str(gone.url): [410]})
    for outbox_id in await deliver_jobs():
        await notices.deliver(outbox_id, sender)
    statuses = {row["status"] for row in await db.fetch("SELECT status FROM notice")}
    assert statuses == {"sent", "failed"}
    await exact_now_and_later()


async def test_cascade(client, chain):
    response = await name(
        client, chain, [entry(chain["batch"], "N-APT", 200, name="Apotek Baru", kind="pharmacy")]
    )
    assert response.status_code == 201, response.text
    await exact_now_and_later()


async def test_scope_amendment(client):
    world = await scope_world(client)
    amendment = await proposed(client, world)
    assert (await sign(client, world, amendment["id"])).status_code == 200
    await exact_now_and_later()
    await deliver_all()
    await exact_now_and_later()


async def test_late_shipment():
    batch = await recent_batch()
    await make_consignee("PBF-OLD")
    await make_consignee("PBF-LATE")
    await shipped(batch, "PBF-OLD", 1000, days_ago=20)
    recall_id = await recall_of(batch)
    await shipped(batch, "PBF-LATE", 70)
    await shipped(batch, "PBF-OLD", 30)
    jobs = await db.fetch("SELECT id FROM outbox WHERE job = {}", masterdata.LATE_SHIPMENTS_JOB)
    for job in jobs:
        found = await outbox.payload(int(job["id"]))
        await recalls.reach_late_shipments((found or {}).get("shipment_ids", []))
    assert len(await db.fetch("SELECT id FROM notice WHERE recall = {}", recall_id)) == 2
    await exact_now_and_later()


async def test_many_changes_fold_into_a_row_per_group_and_stay_exact():
    receivers = [await consignee(f"PBF-{number}", webhook=False) for number in range(6)]
    recall_id = await recall_to(*receivers)
    ids = [int(row["id"]) for row in await db.fetch("SELECT id FROM notice ORDER BY id")]
    for turn in range(_progress.FOLD_AT // 2 + 2):
        notice_id = ids[turn % len(ids)]
        async with db.transaction():
            # Answered, then not: each change adds its rows; the sums stay put.
            await db.fetch(
                "UPDATE notice SET acknowledged_at = {} WHERE id = {}", clock.now(), notice_id
            )
            await db.fetch("UPDATE notice SET acknowledged_at = NULL WHERE id = {}", notice_id)
    kept = await db.fetch("SELECT COUNT(*) AS n FROM notice_tally WHERE recall = {}", recall_id)
    assert int(kept[0]["n"]) > _progress.FOLD_AT
    await assert_tally_exact()  # reads fold
    kept = await db.fetch("SELECT COUNT(*) AS n FROM notice_tally WHERE recall = {}", recall_id)
    assert int(kept[0]["n"]) <= 2  # the notices' group and the units' row
    await exact_now_and_later()


async def test_writers_and_folds_at_once_keep_the_sums():
    receivers = [await consignee(f"PBF-{number}", webhook=False) for number in range(8)]
    recall_id = await recall_to(*receivers)
    ids = [int(row["id"]) for row in await db.fetch("SELECT id FROM notice ORDER BY id")]

    async def answer(notice_id: int) -> None:
        async with db.transaction():
            await db.fetch(
                "UPDATE notice SET acknowledged_at = {}, responded_at = {} WHERE id = {}",
                clock.now(), clock.now(), notice_id,
            )  # fmt: skip

    async def fold() -> None:
        await _progress._fold(recall_id)

    await asyncio.gather(*[answer(notice_id) for notice_id in ids], *[fold() for _ in ids])
    await exact_now_and_later()
    progress = await notices.progress(recall_id, clock.now())
    assert (progress.consignees_total, progress.responded) == (8, 8)


async def test_a_consignee_changing_kind_or_country_moves_its_notices(client, two_tiers):
    for change in ("kind = 'pbf'", "country = 'MY'", "kind = 'hospital', country = 'SG'"):
        await db.execute(f"UPDATE consignee SET {change} WHERE code = 'APT-C'")
        await exact_now_and_later()

"""Benchmark: `GET /api/recalls/{id}` of a recall with 43,501 notices, past some deadlines,
while a fan-out writes.

A class I recall reaches 501 wholesalers and 43,000 pharmacies, approved through a
`recall serve` process (production mode, access log on). A third of the notices are then
acknowledged and a sixth answered; every deadline but retail completion is moved into the
past, so the read takes its costly path (wholesale-level notices overdue, retail ones not
yet: each notice's level decided through its consignee). A separate process then writes as
delivery does, in its own database connections: 200 notices at a time, their deliveries
marked delivered, an attempt logged for each, the notices notified and sent, audit entries
appended. One reader asks for the dashboard one request after another for as long as the
writer runs (at least READS times); every answer is checked: all notices counted, the
overdue ones exactly the wholesale-level notices without a response, overdue deadlines
shown late, and at the end every notice notified.

Run with `python -m tests.benchmarks.dashboard [consignees]`.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from typing import Any

from tests.benchmarks.scratch import migrate, percentiles
from tests.benchmarks.served import recall_serve, run_at_size

WHOLESALERS = 501
READS = 50
NOTICES_PER_WRITE = 200


async def national_recall(base: str, consignees: int) -> int:
    """The approved recall of a national distribution, in mixed states; its id."""
    import httpx

    from recall import db
    from tests.factories import headers_for
    from tests.national import approve, distribute_nationally, open_every_notice, propose_for

    distribution = await distribute_nationally(
        ["http://127.0.0.1:9/h"], WHOLESALERS, consignees - WHOLESALERS
    )
    async with httpx.AsyncClient(base_url=base, timeout=300) as api:
        api.headers.update(await headers_for("qa"))
        recall_id = await propose_for(api, distribution)
        approved = await approve(api, recall_id)
        assert approved.status_code == 200, approved.text
    # The approval opened the tier-1 notices; the rest open here, as the worker's job would.
    await open_every_notice(recall_id)
    # Mixed states: a third acknowledged, a sixth answered with stock and returns.
    await db.fetch(
        "UPDATE notice SET status = 'acknowledged', acknowledged_at = now() "
        "WHERE recall = {} AND id % 3 = 0",
        recall_id,
    )
    await db.fetch(
        "UPDATE notice SET status = 'responded', responded_at = now() "
        "WHERE recall = {} AND id % 6 = 0",
        recall_id,
    )
    # Wholesalers' time to answer has run out; pharmacies still have time.
    await db.fetch(
        "UPDATE recall_deadline SET due_at = now() - interval '1 day' "
        "WHERE recall = {} AND name <> 'retail_complete'",
        recall_id,
    )
    return recall_id


async def overdue_expected(recall_id: int) -> int:
    """Wholesale-level notices without a response: those the dashboard must call overdue."""
    from recall import db

    rows = await db.fetch(
        "SELECT COUNT(*) AS n FROM notice n JOIN consignee c ON c.id = n.consignee "
        "WHERE n.recall = {} AND n.responded_at IS NULL AND (n.tier = 1 OR c.kind = 'pbf')",
        recall_id,
    )
    return int(rows[0]["n"])


async def deliver_batch(recall_id: int) -> int:
    """One chunk of delivery's writes; the number of notices it notified."""
    from recall import audit, clock, db
    from recall.actors import SYSTEM

    now = clock.now()
    async with db.transaction():
        rows = await db.fetch(
            "SELECT id, status FROM notice WHERE recall = {} AND notified_at IS NULL "
            f"ORDER BY id LIMIT {NOTICES_PER_WRITE} FOR UPDATE",
            recall_id,
        )
        ids = [int(row["id"]) for row in rows]
        if not ids:
            return 0
        deliveries = await db.fetch_in(
            "UPDATE delivery SET status = 'delivered', attempts = attempts + 1, "
            "last_attempt_at = {}, delivered_at = {} WHERE notice IN (*) AND message = 'notice' "
            "RETURNING id",
            ids,
            now,
            now,
        )
        await db.insert_many(
            "delivery_attempt",
            (("delivery", "int"), ("attempted_at", "timestamptz"), ("outcome", "text"),
             ("status_code", "int"), ("duration_ms", "int")),
            [(int(row["id"]), now, "delivered", 200, 52) for row in deliveries],
        )  # fmt: skip
        await db.fetch_in(
            "UPDATE notice SET notified_at = {}, version = version + 1, "
            "status = CASE WHEN status = 'pending' THEN 'sent' ELSE status END WHERE id IN (*)",
            ids,
            now,
        )
        await audit.record(
            SYSTEM,
            *[
                audit.Change("notice", int(row["id"]), "sent", old={"status": row["status"]},
                             new={"status": "sent", "notified_at": now.isoformat()})
                for row in rows
                if row["status"] == "pending"
            ],
        )  # fmt: skip
    return len(ids)


async def fan_out(recall_id: int, started: Any) -> None:
    from recall import db

    await db.connect(max_size=2)
    try:
        written = await deliver_batch(recall_id)
        started.set()
        while written:
            written = await deliver_batch(recall_id)
    finally:
        await db.disconnect()


def fan_out_process(recall_id: int, started: Any) -> None:
    """The writer, in its own process (started with the parent's environment)."""
    asyncio.run(fan_out(recall_id, started))


def check(answer: dict[str, Any], consignees: int, overdue: int) -> None:
    assert answer["consignees_total"] == consignees, answer["consignees_total"]
    assert answer["overdue"] == overdue, (answer["overdue"], overdue)
    assert 0 <= answer["responded"] <= answer["acknowledged"] <= consignees, answer
    assert answer["notified"] <= consignees, answer["notified"]
    late = {deadline["name"] for deadline in answer["deadlines"] if deadline["late"]}
    assert "wholesale_complete" in late and "retail_complete" not in late, late


async def read_while_writing(
    base: str, recall_id: int, consignees: int, writer: multiprocessing.Process
) -> list[float]:
    """Milliseconds of each dashboard read made while the writer ran (and up to READS)."""
    import httpx

    from tests.factories import headers_for

    overdue = await overdue_expected(recall_id)
    timings: list[float] = []
    notified = 0
    async with httpx.AsyncClient(base_url=base, headers=await headers_for("qa")) as api:
        while writer.is_alive() or len(timings) < READS:
            started = time.perf_counter()
            answer = await api.get(f"/api/recalls/{recall_id}")
            timings.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.text
            check(answer.json(), consignees, overdue)
            assert answer.json()["notified"] >= notified, "notified went back"
            notified = answer.json()["notified"]
        final = (await api.get(f"/api/recalls/{recall_id}")).json()
    assert final["notified"] == consignees, (final["notified"], consignees)
    print(
        f"{len(timings)} reads; {overdue:,} notices overdue, all {consignees:,} notified at the end"
    )
    return timings


async def benchmark(consignees: int) -> dict[str, float]:
    from recall import db

    await migrate()
    await db.connect()
    try:
        with recall_serve() as base:
            started = time.perf_counter()
            recall_id = await national_recall(base, consignees)
            print(f"{consignees:,} notices ready in {time.perf_counter() - started:.1f} s")
            spawn = multiprocessing.get_context("spawn")
            writing = spawn.Event()
            writer = spawn.Process(target=fan_out_process, args=(recall_id, writing))
            writer.start()
            writing.wait(60)
            timings = await read_while_writing(base, recall_id, consignees, writer)
            writer.join()
            assert writer.exitcode == 0, f"the writer failed (exit {writer.exitcode})"
    finally:
        await db.disconnect()
    return percentiles(timings, "dashboard")


if __name__ == "__main__":
    run_at_size(benchmark, 43_501)

"""Class I work is never queued behind class III work: a class I recall approved while a class
III fan-out of 20,000 is being sent reaches all its consignees first."""

from __future__ import annotations

import asyncio
import time

from arq.connections import ArqRedis
from arq.worker import Worker

from recall import db, outbox
from tests.factories import propose
from tests.national import approve, distribute_nationally
from tests.workers.delivery_setup import FakeSender
from workers import WorkerSettings
from workers.jobs import relay_outbox

ROUTINE_CONSIGNEES = 20_000
URGENT_CONSIGNEES = 100
# Receivers answer after this long, so the class III fan-out takes a while at the worker's
# concurrency (500 in flight: at least 40 s) and is still running when class I is done.
RECEIVER_SECONDS = 1.0


async def notified(recall_id: int) -> int:
    rows = await db.fetch(
        "SELECT COUNT(*) AS n FROM notice WHERE recall = {} AND notified_at IS NOT NULL",
        recall_id,
    )
    return int(rows[0]["n"])


async def wait_for(recall_id: int, at_least: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while (done := await notified(recall_id)) < at_least:
        assert time.monotonic() < deadline, f"{done} of {at_least} notified in {seconds} s"
        await asyncio.sleep(0.05)
    return done


async def stop(worker: Worker, running: asyncio.Task[None], queue: ArqRedis) -> None:
    """Drop the jobs still queued, let the running ones finish, then stop the worker."""
    await queue.delete(worker.queue_name)
    while any(not task.done() for task in worker.tasks.values()):
        await asyncio.sleep(0.05)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)


async def approved(client, batch_id: int, recall_class: str) -> int:
    recall = await propose(
        client,
        batch_ids=[batch_id],
        recall_class=recall_class,
        health_hazard_assessment="Assessed by QA.",
    )
    answer = await approve(client, int(recall["id"]))
    assert answer.status_code == 200, answer.text
    return int(recall["id"])


async def test_a_class_one_recall_goes_before_a_class_three_fan_out_under_way(client, queue):
    routine = await distribute_nationally(
        ["http://127.0.0.1:9/r"], 200, ROUTINE_CONSIGNEES - 200, prefix="R"
    )
    urgent = await distribute_nationally(
        ["http://127.0.0.1:9/u"], 2, URGENT_CONSIGNEES - 2, prefix="U"
    )
    class_three = await approved(client, routine.batch_id, "III")
    await relay_outbox({"redis": queue})

    async def startup(ctx):
        ctx["sender"] = FakeSender(delay=RECEIVER_SECONDS)

    worker = Worker(
        functions=WorkerSettings.functions,
        redis_pool=queue,
        on_startup=startup,
        poll_delay=0.02,
        handle_signals=False,
        max_jobs=WorkerSettings.max_jobs,
    )
    running = asyncio.create_task(worker.async_run())
    try:
        await wait_for(class_three, 500, 120)  # the class III fan-out is under way
        class_one = await approved(client, urgent.batch_id, "I")
        await relay_outbox({"redis": queue})  # as the web process does after the approval
        await wait_for(class_one, URGENT_CONSIGNEES, 120)
        class_three_done = await notified(class_three)
    finally:
        await stop(worker, running, queue)
    # Without priority the class I chunk waits behind every class III chunk queued before it;
    # with it, at most the chunks running then finish first (20 jobs of 200 notices).
    assert class_three_done <= ROUTINE_CONSIGNEES - 5_000, class_three_done


async def test_urgent_work_is_relayed_first_and_queued_as_due_earlier(queue):
    async with db.transaction():
        routine = await outbox.add("deliver_notices", {"delivery_ids": [1]})
        urgent = await outbox.add(
            "deliver_notices", {"delivery_ids": [2]}, priority=outbox.Priority.URGENT
        )
    handed: list[tuple[int, object]] = []

    class Recording:
        async def enqueue_job(self, function, *args, _job_id=None, _defer_until=None):
            handed.append((args[0], _defer_until))

    assert await outbox.relay(Recording()) == 2
    assert [outbox_id for outbox_id, _ in handed] == [urgent, routine]
    assert handed[1][1] is None  # routine work is due now
    queued = await queue.enqueue_job(
        "deliver_notices", urgent, _job_id="probe", _defer_until=handed[0][1]
    )
    assert queued is not None
    [(_, score)] = await queue.zrange("arq:queue", 0, -1, withscores=True)
    assert score < time.time() * 1000 - 3_000_000  # ahead of anything due in the last 50 min

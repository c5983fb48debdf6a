"""Fan-out of a few thousand notices while things break: the worker is SIGKILLed, Redis is
restarted, receivers fail and hang at random. In the end every notice is delivered, each
under exactly one webhook-id, and every attempt the receivers saw is logged."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from recall import db
from recall.embedded import start_redis
from tests.faults.receivers import TIMED_OUT, Faults, Seen, receivers
from tests.harness import WorkerProcess, count, until
from tests.national import Distribution, approve, distribute_nationally, propose_for
from workers import HEARTBEAT_KEY

pytestmark = [pytest.mark.faults, pytest.mark.slow]

WHOLESALERS, OUTLETS = 40, 1960  # 2,000 notices
BROKEN_AFTER = 300  # requests seen before the fault is injected
FAN_OUT_SECONDS = 180


def worker_env(redis_url: str, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "RECALL_REDIS_URL": redis_url,
        "RECALL_JOB_TIMEOUT_SECONDS": "15",  # a killed worker's jobs are taken over after 25 s
        "RECALL_RETRY_BASE_SECONDS": "0.05",
        "RECALL_RETRY_MAX_SECONDS": "0.5",
        "RECALL_DELIVERY_CONCURRENCY": "50",
        "RECALL_WEBHOOK_TIMEOUT_SECONDS": "5",
        **{f"RECALL_{name.upper()}": value for name, value in settings.items()},
    }


async def start_worker(env: dict[str, str], directory: Path) -> WorkerProcess:
    worker = WorkerProcess(env, directory / "worker.log")
    worker.start()
    valkey = redis.from_url(env["RECALL_REDIS_URL"])

    async def up() -> bool:
        assert worker.alive(), worker.output()
        return bool(await valkey.exists(HEARTBEAT_KEY))

    try:
        await until(up, 30, "the worker to start", worker)
    finally:
        await valkey.aclose()
    return worker


async def nationwide_recall(
    api: Any, seen: Seen, urls: list[str], prefix: str
) -> tuple[int, Distribution]:
    distribution = await distribute_nationally(urls, WHOLESALERS, OUTLETS, prefix=prefix)
    seen.secrets.update(distribution.secrets)
    recall_id = await propose_for(api, distribution)
    answer = await approve(api, recall_id)
    assert answer.status_code == 200, answer.text
    return recall_id, distribution


async def unsent(recall_id: int) -> int:
    return await count(
        "SELECT COUNT(*) AS n FROM notice WHERE recall = {} AND status <> 'sent'", recall_id
    )


async def message_ids(recall_id: int) -> dict[int, str]:
    rows = await db.fetch(
        "SELECT d.notice AS notice, d.message_id AS message_id FROM delivery d "
        "JOIN notice n ON n.id = d.notice WHERE n.recall = {} AND d.channel = 'webhook'",
        recall_id,
    )
    return {int(row["notice"]): row["message_id"] for row in rows}


async def assert_each_delivered_once(
    seen: Seen, recall_id: int, distribution: Distribution
) -> None:
    assert not seen.bad_signatures
    assert await unsent(recall_id) == 0
    ids = await message_ids(recall_id)
    assert len(ids) == distribution.consignees
    arrived = {
        notice: webhook_ids
        for by_notice in seen.ids.values()
        for notice, webhook_ids in by_notice.items()
    }
    assert arrived.keys() == ids.keys()
    twice = {notice: found for notice, found in arrived.items() if found != {ids[notice]}}
    assert twice == {}
    delivered = await count(
        "SELECT COUNT(*) AS n FROM delivery d JOIN notice n ON n.id = d.notice "
        "WHERE n.recall = {} AND d.status = 'delivered'",
        recall_id,
    )
    assert delivered == distribution.consignees


async def test_a_worker_killed_mid_fan_out_is_replaced_and_nothing_is_lost(api, private_redis):
    servers, directory = private_redis
    with receivers({}, Faults(delay_seconds=0.02)) as (seen, urls):
        worker = await start_worker(worker_env(servers[0].url), directory)
        try:
            recall_id, distribution = await nationwide_recall(api, seen, urls, "K")

            async def under_way() -> bool:
                return seen.requests >= BROKEN_AFTER

            await until(under_way, 60, "the fan-out to start", worker)
            worker.kill()
            assert await unsent(recall_id) > 0
            worker.start()

            async def done() -> bool:
                assert worker.alive(), worker.output()
                return await unsent(recall_id) == 0

            await until(done, FAN_OUT_SECONDS, "every notice after the kill", worker)
        finally:
            worker.stop()
        await assert_each_delivered_once(seen, recall_id, distribution)


async def test_redis_restarted_mid_fan_out_loses_nothing(api, private_redis):
    servers, directory = private_redis
    with receivers({}, Faults(delay_seconds=0.02)) as (seen, urls):
        worker = await start_worker(worker_env(servers[0].url), directory)
        try:
            recall_id, distribution = await nationwide_recall(api, seen, urls, "R")

            async def under_way() -> bool:
                return seen.requests >= BROKEN_AFTER

            await until(under_way, 60, "the fan-out to start", worker)
            servers[0].stop()
            assert await unsent(recall_id) > 0  # Redis went away in the middle of it
            await asyncio.sleep(1)
            servers.append(start_redis(directory / "redis", persist=True))

            async def done() -> bool:
                assert worker.alive(), worker.output()
                return await unsent(recall_id) == 0

            await until(done, FAN_OUT_SECONDS, "every notice after the restart", worker)
        finally:
            worker.stop()
        await assert_each_delivered_once(seen, recall_id, distribution)


async def test_receivers_failing_and_hanging_at_random_get_everything_in_the_end(
    api, private_redis
):
    servers, directory = private_redis
    faults = Faults(fail_percent=30, hang_percent=5, hang_seconds=2.0, delay_seconds=0.01)
    env = worker_env(servers[0].url, webhook_timeout_seconds="1", delivery_attempts="25")
    with receivers({}, faults) as (seen, urls):
        worker = await start_worker(env, directory)
        try:
            recall_id, distribution = await nationwide_recall(api, seen, urls, "F")

            async def done() -> bool:
                assert worker.alive(), worker.output()
                return await unsent(recall_id) == 0

            await until(done, FAN_OUT_SECONDS, "every notice through the faults", worker)
        finally:
            worker.stop()
        await assert_each_delivered_once(seen, recall_id, distribution)

    # Every answer a receiver gave is an attempt in the log, in order: as answered, or as not
    # heard when the worker had stopped listening before it came (a timeout, or cut off at
    # its budget); the log may hold more attempts only where the worker heard nothing back.
    unheard_attempt = ("retry", None)
    expected = {
        503: {("retry", 503), unheard_attempt},
        TIMED_OUT: {unheard_attempt},
        200: {("delivered", 200), unheard_attempt},
    }
    rows = await db.fetch(
        "SELECT d.message_id AS message_id, a.outcome AS outcome, a.status_code AS status_code "
        "FROM delivery_attempt a JOIN delivery d ON d.id = a.delivery "
        "JOIN notice n ON n.id = d.notice WHERE n.recall = {} ORDER BY a.id",
        recall_id,
    )
    logged: dict[str, list[tuple[str, int | None]]] = {}
    for row in rows:
        logged.setdefault(row["message_id"], []).append((row["outcome"], row["status_code"]))
    assert logged.keys() == seen.answers.keys()
    for webhook_id, answers in seen.answers.items():
        ways = [expected[answer] for answer in answers]
        assert _explained(ways, logged[webhook_id], unheard_attempt), (
            webhook_id,
            answers,
            logged[webhook_id],
        )
    retried = sum(len(attempts) - 1 for attempts in logged.values())
    assert retried > distribution.consignees * 0.3  # the faults really happened
    assert any(TIMED_OUT in answers for answers in seen.answers.values())


def _explained(
    answered: list[set[tuple[str, int | None]]],
    logged: list[tuple[str, int | None]],
    unheard: tuple[str, int | None],
) -> bool:
    """Whether the logged attempts are the answers in order, each logged as one of the ways it
    may be, with only `unheard` attempts between them (tries the receiver never answered, e.g.
    a connection refused under load). Every alignment is tried, not just the greedy one: an
    unheard try before a 503 may also be read as that 503's own attempt."""
    # matched[j]: some reading of the attempts so far accounts for the first j answers.
    matched = [True] + [False] * len(answered)
    for attempt in logged:
        step = [False] * len(matched)
        for j, reachable in enumerate(matched):
            if not reachable:
                continue
            if attempt == unheard:
                step[j] = True
            if j < len(answered) and attempt in answered[j]:
                step[j + 1] = True
        matched = step
    return matched[-1]

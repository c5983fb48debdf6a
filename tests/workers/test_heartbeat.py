"""The worker's heartbeat: a cron job that leaves a fresh timestamp in Redis."""

import copy
import os
from datetime import UTC, datetime, timedelta

import redis.asyncio as redis
from arq.worker import Worker

from recall import clock
from workers import HEARTBEAT_KEY, WorkerSettings, redis_settings


def heartbeat_cron():
    cron_job = next(job for job in WorkerSettings.cron_jobs if job.name == "heartbeat")
    fresh = copy.copy(cron_job)
    fresh.next_run = None  # as in a newly started worker: run at start-up
    return fresh


async def test_heartbeat_writes_the_time_of_its_run():
    url = os.environ["RECALL_REDIS_URL"]
    store = redis.from_url(url)
    await store.delete(HEARTBEAT_KEY)
    worker = Worker(
        # A queue of its own: jobs other tests queued (notices after an approval) are not its.
        queue_name="recall:test:heartbeat",
        functions=[],
        cron_jobs=[heartbeat_cron()],
        redis_settings=redis_settings(url),
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
    )
    try:
        # Two runs when start-up falls within a second of the minute boundary.
        assert await worker.run_check() >= 1
    finally:
        await worker.close()
    written = await store.get(HEARTBEAT_KEY)
    ttl = await store.ttl(HEARTBEAT_KEY)
    await store.aclose()
    assert written is not None
    beat = datetime.fromisoformat(written.decode())
    assert beat.tzinfo is not None
    assert abs(clock.now() - beat.astimezone(UTC)) < timedelta(minutes=1)
    assert 0 < ttl <= 300


def test_heartbeat_runs_every_minute_and_workers_report_health_often():
    cron_job = next(job for job in WorkerSettings.cron_jobs if job.name == "heartbeat")
    assert cron_job.second == 0 and cron_job.minute is None
    assert cron_job.run_at_startup
    assert WorkerSettings.health_check_interval <= 60


def test_unix_socket_redis_urls_are_understood():
    settings = redis_settings("unix:///tmp/recall/redis/valkey.sock?db=3")
    assert settings.unix_socket_path == "/tmp/recall/redis/valkey.sock"
    assert settings.database == 3
    tcp = redis_settings("redis://:secret@cache:6380/2")
    assert (tcp.host, tcp.port, tcp.database, tcp.password) == ("cache", 6380, 2, "secret")

"""The arq worker: functions, cron schedule and resources opened at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.cron import CronJob

from recall import db
from recall.settings import get_settings
from workers import jobs


def redis_settings(url: str) -> RedisSettings:
    """arq connection settings from RECALL_REDIS_URL (redis://, rediss:// or unix://)."""
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 5
    return settings


async def startup(ctx: dict[str, Any]) -> None:
    await db.connect()


async def shutdown(ctx: dict[str, Any]) -> None:
    await db.disconnect()


class WorkerSettings:
    """Read by `recall worker` (and by `arq workers.settings.WorkerSettings`)."""

    functions: Sequence[Any] = ()
    cron_jobs: Sequence[CronJob] = [
        cron(jobs.heartbeat, name="heartbeat", second=0, run_at_startup=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = redis_settings(get_settings().redis_url)
    # arq's default is an hour; a dead worker should show up within a minute.
    health_check_interval = 30
    max_jobs = 20
    job_timeout = 300

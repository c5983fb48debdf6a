"""The arq worker: functions, cron schedule and resources opened at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arq import cron, func
from arq.connections import RedisSettings
from arq.cron import CronJob
from arq.worker import Function
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from recall import alerts, db, exports, masterdata, notices, recalls
from recall.settings import get_settings
from workers import jobs
from workers.senders import NetworkSender

# Jobs retry through arq's Retry until the domain gives up (its own attempt limit).
MAX_TRIES = 10_000
RELAY_EVERY_SECONDS = 10
FOLLOW_UP_EVERY_MINUTES = 5
OBLIGATION_ALERTS_EVERY_MINUTES = 5
AUDIT_FULL_CHECK_HOUR_UTC = 18  # 01:23 on the plant's clock (UTC+7)
AUDIT_FULL_CHECK_KEEP_SECONDS = 6 * 3600  # its job id stays taken: one run per night
# A short Redis blip is absorbed here; a longer outage restarts the worker (`recall worker`).
REDIS_RETRIES = 3
REDIS_BACKOFF_CAP_SECONDS = 1.0


def redis_settings(url: str) -> RedisSettings:
    """arq connection settings from RECALL_REDIS_URL (redis://, rediss:// or unix://)."""
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 5
    settings.retry = Retry(ExponentialBackoff(cap=REDIS_BACKOFF_CAP_SECONDS), REDIS_RETRIES)
    settings.retry_on_error = [RedisConnectionError, RedisTimeoutError, OSError]
    return settings


async def startup(ctx: dict[str, Any]) -> None:
    # `recall worker` keeps ctx across restarts after a Redis outage: open things once.
    await db.connect()
    if "sender" not in ctx:
        settings = get_settings()
        ctx["sender"] = NetworkSender.of(settings)


async def shutdown(ctx: dict[str, Any]) -> None:
    full_check = ctx.pop(jobs.AUDIT_FULL_CHECK, None)
    if full_check is not None:
        full_check.cancel()  # tonight's re-hash is lost; tomorrow's runs
    sender = ctx.pop("sender", None)
    if sender is not None:
        await sender.aclose()
    await db.disconnect()


def _job(coroutine: Any, name: str) -> Function:
    # keep_result=0: a finished job leaves no result behind, so the relay may hand the same
    # outbox id over again if the job was lost (arq refuses a job id while a result is kept).
    return func(
        coroutine,
        name=name,
        max_tries=MAX_TRIES,
        keep_result=0,
        timeout=get_settings().delivery.job_timeout_seconds,
    )


class WorkerSettings:
    """Read by `recall worker` (and by `arq workers.settings.WorkerSettings`)."""

    functions: Sequence[Any] = [
        _job(jobs.deliver_notices, notices.DELIVER_JOB),
        _job(jobs.mail_alert, alerts.MAIL_JOB),
        _job(jobs.reach_late_shipments, masterdata.LATE_SHIPMENTS_JOB),
        _job(jobs.open_notices, recalls.OPEN_NOTICES_JOB),
        _job(jobs.make_export, exports.EXPORT_JOB),
        _job(jobs.import_shipment_file, masterdata.IMPORT_JOB),
    ]
    # Each run time's job id (arq names it by the time) keeps its result for the interval:
    # a worker reaching that time late sees the id taken instead of running it again.
    cron_jobs: Sequence[CronJob] = [
        cron(
            jobs.heartbeat,
            name="heartbeat",
            second=0,
            run_at_startup=True,
            keep_result=60,
        ),
        cron(
            jobs.relay_outbox,
            name="relay_outbox",
            second=set(range(0, 60, RELAY_EVERY_SECONDS)),
            run_at_startup=True,
            keep_result=RELAY_EVERY_SECONDS,
        ),
        cron(
            jobs.follow_up,
            name="follow_up",
            minute=set(range(0, 60, FOLLOW_UP_EVERY_MINUTES)),
            second=30,
            run_at_startup=True,
            keep_result=FOLLOW_UP_EVERY_MINUTES * 60,
        ),
        cron(
            jobs.file_status_reports,
            name="file_status_reports",
            minute=7,
            second=45,
            keep_result=3600,
        ),
        cron(
            jobs.remove_expired_exports,
            name="remove_expired_exports",
            minute=37,
            second=20,
            keep_result=3600,
        ),
        cron(
            jobs.alert_due_obligations,
            name="alert_due_obligations",
            minute=set(range(2, 60, OBLIGATION_ALERTS_EVERY_MINUTES)),
            second=15,
            keep_result=OBLIGATION_ALERTS_EVERY_MINUTES * 60,
        ),
        # Nightly full re-hash (started in the background, see the job). Its job id names the
        # minute and its result is kept for hours: however many workers enqueue it, one runs it.
        cron(
            jobs.verify_audit_trail,
            name="verify_audit_trail",
            hour=AUDIT_FULL_CHECK_HOUR_UTC,
            minute=23,
            second=0,
            keep_result=AUDIT_FULL_CHECK_KEEP_SECONDS,
        ),
    ]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = redis_settings(get_settings().redis_url)
    # arq's default is an hour; a dead worker should show up within a minute.
    health_check_interval = 30
    max_jobs = 20
    # arq's default is half a second: a worker whose jobs all finished would sit idle that
    # long before taking the next ones (a fan-out's chunks finish in waves).
    poll_delay = 0.05
    # arq holds a job's in-progress lock for the longest timeout + 10 s: a job whose worker
    # was killed is taken over by another worker after that.
    job_timeout = get_settings().delivery.job_timeout_seconds

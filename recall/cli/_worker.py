"""recall worker: the background worker (arq), started again after losing Redis."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from typing import TYPE_CHECKING, Any, cast

from recall.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    _checked_settings,
)

if TYPE_CHECKING:
    from arq.typing import WorkerSettingsType


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _checked_settings()
    from arq.worker import async_check_health
    from redis.exceptions import RedisError

    from workers.settings import redis_settings

    if args.check:
        quick = redis_settings(settings.redis_url)
        quick.conn_retries = 0
        quick.retry = None
        try:
            return asyncio.run(async_check_health(quick))
        except (RedisError, OSError) as exc:
            print(f"recall: Redis unreachable: {exc}", file=sys.stderr)
            return EXIT_FAILED
    from web.observability import configure_logging

    configure_logging(args.log_level)
    _run_worker(settings.redis_url)
    return EXIT_OK


WORKER_RESTART_FIRST_SECONDS = 1.0
WORKER_RESTART_MAX_SECONDS = 30.0
WORKER_HEALTHY_RUN_SECONDS = 60.0


def _run_worker(redis_url: str) -> None:
    """Run the arq worker until a signal stops it; after losing Redis, start it again.

    arq's worker ends when its Redis connection fails for longer than the client's own
    retries; here it waits (with backoff) and starts anew, so an outage does not take the
    worker down. The job resources (database pool, HTTP client) are opened once and kept.
    """
    import uvloop
    from arq.worker import create_worker
    from redis.exceptions import RedisError

    from workers.settings import WorkerSettings, redis_settings, shutdown

    # arq reads the class's attributes; its Protocol type does not model plain functions.
    worker_settings = cast("WorkerSettingsType", WorkerSettings)
    # Not empty: arq replaces an empty (falsy) ctx with a new dict.
    ctx: dict[str, Any] = {"worker_runs": 0}
    stopping: list[Any] = []
    stop = asyncio.Event()

    def on_stop(signum: Any) -> None:
        stopping.append(signum)
        stop.set()

    # uvloop: the worker spends its time in sockets, which asyncio's own loop serves ~20 %
    # slower (measured on the fan-out); arq runs on whatever loop is set here.
    asyncio.set_event_loop(uvloop.new_event_loop())
    delay = WORKER_RESTART_FIRST_SECONDS
    while True:
        ctx["worker_runs"] += 1
        worker = create_worker(worker_settings, redis_settings=redis_settings(redis_url), ctx=ctx)
        worker.on_stop = on_stop
        started = time.monotonic()
        try:
            worker.run()
            break  # a signal stopped it
        except (RedisError, OSError) as exc:
            if stopping:
                break  # stopping anyway; Redis went first
            if time.monotonic() - started > WORKER_HEALTHY_RUN_SECONDS:
                delay = WORKER_RESTART_FIRST_SECONDS
            logging.getLogger("recall.worker").warning(
                "worker lost Redis or the database (%s: %s); starting again in %.0f s",
                type(exc).__name__,
                exc,
                delay,
            )
        worker.loop.run_until_complete(_pause(delay, stop))
        if stopping:
            break
        delay = min(delay * 2, WORKER_RESTART_MAX_SECONDS)
    if "sender" in ctx:  # the last run ended before arq could call on_shutdown
        with contextlib.suppress(Exception):
            worker.loop.run_until_complete(shutdown(ctx))


async def _pause(seconds: float, stop: asyncio.Event) -> None:
    """Sleep, waking early when a signal asks the worker to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)

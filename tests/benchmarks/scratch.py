"""The ground every benchmark runs on: a scratch PostgreSQL database and a claimed Redis DB
index on the machine's servers (or RECALL_BENCH_DATABASE_URL / RECALL_BENCH_REDIS_URL),
created before the project's settings are first read and removed afterwards.

A benchmark module runs alone as `python -m tests.benchmarks.<name>`; its last line of output
is one JSON object of its figures, which `python -m tests.benchmarks` collects.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import statistics
import uuid
from collections.abc import Iterator
from typing import Any

from tests.servers import admin_execute, claim_redis_db, release_redis_db, with_database

DATABASE_SERVER = os.environ.get(
    "RECALL_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_SERVER = os.environ.get("RECALL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextlib.contextmanager
def scratch_environment() -> Iterator[dict[str, str]]:
    """A fresh database and Redis DB index, set in RECALL_* variables; the variables."""
    run_id = uuid.uuid4().hex[:10]
    name = f"recall_bench_{run_id}"
    asyncio.run(admin_execute(DATABASE_SERVER, f'CREATE DATABASE "{name}"'))
    redis_url = asyncio.run(claim_redis_db(REDIS_SERVER, f"bench-{run_id}"))
    variables = {
        "RECALL_DATABASE_URL": with_database(DATABASE_SERVER, name),
        "RECALL_REDIS_URL": redis_url,
        "RECALL_MODE": "test",
        "RECALL_SECRET_KEY": "bench-secret-key-" + "x" * 32,
        "PICCOLO_CONF": "recall.db.piccolo_conf",
        "RECALL_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",  # the benchmarks' receivers
    }
    os.environ.update(variables)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    try:
        yield variables
    finally:
        release_redis_db(redis_url)
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        asyncio.run(admin_execute(DATABASE_SERVER, drop))


async def migrate() -> None:
    from recall import db

    with contextlib.redirect_stdout(io.StringIO()):  # piccolo prints migration progress
        await db.run_migrations()


def percentiles(timings_ms: list[float], prefix: str) -> dict[str, float]:
    """`<prefix>_p50_ms` and `<prefix>_p95_ms` of a list of timings."""
    ordered = sorted(timings_ms)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return {
        f"{prefix}_p50_ms": round(statistics.median(ordered), 1),
        f"{prefix}_p95_ms": round(p95, 1),
    }


def report(figures: dict[str, Any]) -> None:
    """The benchmark's figures as its last line of output."""
    print(json.dumps(figures), flush=True)

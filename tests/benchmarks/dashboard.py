"""Benchmark: `GET /api/recalls/{id}` of a recall with 43,501 notices in mixed states.

Run with `python -m tests.benchmarks.dashboard [consignees]` against a scratch database on
RECALL_BENCH_DATABASE_URL's server (default the local PostgreSQL); prints p50/p95.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import statistics
import sys
import time
import uuid

from tests.benchmarks.import_shipments import _admin, _with_database

WHOLESALERS = 501
READS = 50


async def benchmark(consignees: int) -> dict[str, float]:
    import httpx

    from recall import db
    from tests.factories import headers_for
    from tests.national import approve, distribute_nationally, propose_for
    from web.app import create_app

    with contextlib.redirect_stdout(io.StringIO()):  # piccolo prints migration progress
        await db.run_migrations()
    app = create_app()
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as api:
            started = time.perf_counter()
            outlets = consignees - WHOLESALERS
            distribution = await distribute_nationally(
                ["http://127.0.0.1:9/h"], WHOLESALERS, outlets
            )
            recall_id = await propose_for(api, distribution)
            approved = await approve(api, recall_id)
            assert approved.status_code == 200, approved.text
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
            print(f"{consignees:,} notices ready in {time.perf_counter() - started:.1f} s")
            headers = await headers_for("qa")
            timings = []
            for _ in range(READS):
                started = time.perf_counter()
                answer = await api.get(f"/api/recalls/{recall_id}", headers=headers)
                timings.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text
    timings.sort()
    return {
        "dashboard_p50_ms": round(statistics.median(timings), 1),
        "dashboard_p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
    }


def main() -> None:
    server = os.environ.get(
        "RECALL_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
    )
    consignees = int(sys.argv[1]) if len(sys.argv) > 1 else 43_501
    name = f"recall_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    os.environ["RECALL_DATABASE_URL"] = _with_database(server, name)
    os.environ.setdefault("RECALL_MODE", "test")
    os.environ.setdefault("RECALL_SECRET_KEY", "bench-secret-key-" + "x" * 32)
    # The approval queues deliveries that no worker takes here: keep them out of DB 0.
    os.environ.setdefault("RECALL_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        print(asyncio.run(benchmark(consignees)))
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()

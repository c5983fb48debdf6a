"""Benchmark: `GET /api/recalls/{id}` of a recall with 43,501 notices in mixed states.

Run with `python -m tests.benchmarks.dashboard [consignees]` (see tests/benchmarks/scratch.py).
"""

from __future__ import annotations

import asyncio
import sys
import time

from tests.benchmarks.scratch import migrate, percentiles, report, scratch_environment

WHOLESALERS = 501
READS = 50


async def benchmark(consignees: int) -> dict[str, float]:
    import httpx

    from recall import db
    from tests.factories import headers_for
    from tests.national import approve, distribute_nationally, propose_for
    from web.app import create_app

    await migrate()
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
    return percentiles(timings, "dashboard")


def main() -> None:
    consignees = int(sys.argv[1]) if len(sys.argv) > 1 else 43_501
    with scratch_environment():
        report(asyncio.run(benchmark(consignees)))


if __name__ == "__main__":
    main()

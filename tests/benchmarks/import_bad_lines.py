"""Benchmark: `POST /api/shipments/import` with 200,000 bad lines, while `/health` is asked
every 20 ms, against `web.app:create_app` under uvicorn as `recall serve` runs it on a
scratch PostgreSQL database. Reports the answer's size and time and how long `/health`
waited (the import must not hold the event loop). Run with
`python -m tests.benchmarks.import_bad_lines [lines]`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from tests.benchmarks.intake import free_port, served
from tests.benchmarks.scratch import migrate, report, scratch_environment

USERNAME = "qa-bench"
HEALTH_EVERY = 0.02


async def prepare(lines: int) -> tuple[str, bytes]:
    """A QA user's password, and a file whose every line has a quantity that is no number."""
    from recall import db
    from tests.factories import PASSWORD, make_batch, make_consignee, make_user

    await migrate()
    await db.connect()
    try:
        batch = await make_batch()
        pbf = await make_consignee()
        await make_user("qa", username=USERNAME)
    finally:
        await db.disconnect()
    header = "gtin,batch_no,consignee_code,quantity,shipped_on,from_consignee_code"
    bad = f"{batch.gtin},{batch.batch_no},{pbf.code},zero,2026-02-03,"
    return PASSWORD, ("\n".join([header] + [bad] * lines) + "\n").encode()


async def drive(base: str, password: str, body: bytes) -> dict[str, float]:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        login = await client.post(
            "/api/auth/login", json={"username": USERNAME, "password": password}
        )
        token = login.raise_for_status().json()["token"]
        waits: list[float] = []
        done = asyncio.Event()

        async def health() -> None:
            async with httpx.AsyncClient(base_url=base, timeout=30) as own:
                while not done.is_set():
                    asked = time.perf_counter()
                    (await own.get("/health")).raise_for_status()
                    waits.append(time.perf_counter() - asked)
                    await asyncio.sleep(HEALTH_EVERY)

        watcher = asyncio.create_task(health())
        await asyncio.sleep(0.3)  # a few quiet /health answers first
        started = time.perf_counter()
        answer = await client.post(
            "/api/shipments/import",
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        )
        elapsed = time.perf_counter() - started
        done.set()
        await watcher
    parsed = answer.json()
    print(
        f"answer {answer.status_code}: {len(answer.content) / 2**20:.2f} MiB in {elapsed:.2f} s, "
        f"{len(parsed['errors']):,} errors listed, error_count {parsed.get('error_count')}",
        flush=True,
    )
    print(
        f"/health: {len(waits)} answers, median {statistics.median(waits) * 1000:.1f} ms, "
        f"max {max(waits) * 1000:.1f} ms",
        flush=True,
    )
    return {
        "import_bad_answer_bytes": len(answer.content),
        "import_bad_seconds": round(elapsed, 2),
        "import_bad_health_max_ms": round(max(waits) * 1000, 1),
        "import_bad_health_median_ms": round(statistics.median(waits) * 1000, 1),
    }


def benchmark(lines: int) -> dict[str, float]:
    password, body = asyncio.run(prepare(lines))
    print(f"file: {lines:,} bad lines, {len(body) / 2**20:.1f} MiB", flush=True)
    with served("web.app:create_app", free_port()) as base:
        return asyncio.run(drive(base, password, body))


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with scratch_environment():
        report(benchmark(lines))


if __name__ == "__main__":
    main()

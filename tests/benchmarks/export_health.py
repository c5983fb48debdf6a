"""Benchmark: how long `GET /health` waits on a `recall serve` process while it makes a
43,501-row XLSX export and the recall report PDF.

The recall is the dashboard benchmark's (tests/benchmarks/dashboard.py: 501 wholesalers and
43,000 pharmacies, mixed states, wholesale deadlines passed), approved through the same
`recall serve` process (production mode, access log on). Then one `recall worker` starts, as
production runs one beside the web (the approval's deliveries are marked done first: this
benchmark measures the exports, not a fan-out; the notices the approval leaves to a worker are
opened by the benchmark first). A signed-in QA reader asks at once for the
consignee table as XLSX (the recall page's download: the page says it is being prepared and
reloads itself every REFRESH_SECONDS until it answers with the file) and for the report PDF
(the API's, which waits for the file), while /health is asked continuously (every
HEALTH_EVERY seconds over its own connection) until both are complete. Both must end in 200
with a whole file (an XLSX zip, a PDF); health_p99_during_export_ms is the 99th percentile
of the /health waits between the two requests starting and the last file arriving.

Run with `python -m tests.benchmarks.export_health [consignees]`.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.benchmarks.dashboard import national_recall
from tests.benchmarks.scratch import migrate
from tests.benchmarks.served import ROOT, log_file, recall_serve, run_at_size

HEALTH_EVERY = 0.01
QUIET_SECONDS = 0.5
REFRESH_SECONDS = 2  # the being-prepared page's meta refresh
WORKER_START_SECONDS = 60


class HealthWatch:
    """/health asked over one connection until stopped; each wait in milliseconds, with
    when it started."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.waits: list[tuple[float, float]] = []  # (asked at, milliseconds)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        import httpx

        async with httpx.AsyncClient(base_url=self.base, timeout=60) as client:
            while not self._stop.is_set():
                asked = time.perf_counter()
                (await client.get("/health")).raise_for_status()
                self.waits.append((asked, (time.perf_counter() - asked) * 1000))
                await asyncio.sleep(HEALTH_EVERY)

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        self._stop.set()
        assert self._task is not None
        await self._task

    def between(self, start: float, end: float) -> list[float]:
        return [ms for asked, ms in self.waits if start <= asked < end]


async def download(client: Any, path: str, magic: bytes) -> float:
    """Seconds to fetch `path` (through its being-prepared page when it sends the reader
    there), which must end in 200 with a file starting with `magic`."""
    started = time.perf_counter()
    answer = await client.get(path)
    if answer.status_code == 303:  # being prepared: a page that reloads itself until the file
        progress = answer.headers["location"]
        answer = await client.get(progress)
        while answer.status_code == 200 and b'http-equiv="refresh"' in answer.content:
            await asyncio.sleep(REFRESH_SECONDS)
            answer = await client.get(progress)
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
    assert answer.content.startswith(magic), (path, answer.content[:20])
    print(f"{path}: {len(answer.content) / 2**20:.2f} MiB in {elapsed:.1f} s", flush=True)
    return elapsed


async def exports_watched(base: str, recall_id: int) -> dict[str, float]:
    import httpx

    from tests.factories import headers_for, make_user
    from tests.pages.helpers import sign_in

    reader = await make_user("qa")
    async with (
        httpx.AsyncClient(base_url=base, timeout=600) as web,
        httpx.AsyncClient(base_url=base, timeout=600, headers=await headers_for("qa")) as api,
    ):
        signed_in = await sign_in(web, reader.username)
        assert signed_in.status_code == 303, signed_in.text
        watch = HealthWatch(base)
        watch.start()
        await asyncio.sleep(QUIET_SECONDS)
        started = time.perf_counter()
        xlsx, pdf = await asyncio.gather(
            download(web, f"/recalls/{recall_id}/consignees/export?format=xlsx", b"PK\x03\x04"),
            download(api, f"/api/recalls/{recall_id}/report.pdf", b"%PDF"),
        )
        finished = time.perf_counter()
        await watch.stop()
    quiet = watch.between(0, started)
    during = sorted(watch.between(started, finished))
    p99 = during[min(len(during) - 1, int(len(during) * 0.99))]
    print(
        f"/health: quiet median {statistics.median(quiet):.1f} ms; during the exports "
        f"{len(during)} answers, median {statistics.median(during):.1f} ms, "
        f"p99 {p99:.1f} ms, max {during[-1]:.1f} ms",
        flush=True,
    )
    return {
        "health_p99_during_export_ms": round(p99, 1),
        "health_max_during_export_ms": round(during[-1], 1),
        "export_xlsx_seconds": round(xlsx, 2),
        "export_pdf_seconds": round(pdf, 2),
    }


@contextmanager
def recall_worker() -> Iterator[None]:
    """`recall worker` in production mode, once it is taking jobs (arq's health-check key)."""
    import redis

    from web.exports import WORKER_HEALTH_KEY

    env = {**os.environ, "RECALL_MODE": "production"}
    with log_file("recall-worker").open("ab") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "recall.cli", "worker"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output,
        )  # fmt: skip
    store = redis.Redis.from_url(os.environ["RECALL_REDIS_URL"])
    try:
        deadline = time.monotonic() + WORKER_START_SECONDS
        while not store.exists(WORKER_HEALTH_KEY):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("recall worker did not start; see recall-worker.log")
            time.sleep(0.2)
        yield
    finally:
        store.close()
        worker.terminate()
        worker.wait(30)


async def benchmark(consignees: int) -> dict[str, float]:
    from recall import db
    from tests.national import open_every_notice

    await migrate()
    await db.connect()
    try:
        with recall_serve() as base:
            recall_id = await national_recall(base, consignees)
            # The approval left the notices past tier 1 for a worker: open them here, and
            # mark every delivery done: the exports are measured, not a fan-out.
            await open_every_notice(recall_id)
            await db.fetch("UPDATE outbox SET done_at = now() WHERE done_at IS NULL")
            opened = await db.fetch("SELECT COUNT(*) AS n FROM notice WHERE recall = {}", recall_id)
            assert opened[0]["n"] == consignees, opened
            print(f"{consignees:,} notices ready", flush=True)
            with recall_worker():
                return await exports_watched(base, recall_id)
    finally:
        await db.disconnect()


if __name__ == "__main__":
    run_at_size(benchmark, 43_501)

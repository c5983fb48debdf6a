"""Benchmark: a class I recall reaching 43,501 consignees, each with its own webhook.

501 wholesalers and 43,000 pharmacies, their webhooks spread over 64 loopback ports of one
receiver process answering after 50 ms. The clock runs from the approval request until
every notice is delivered and its attempt logged; `recall worker` runs as WORKERS child
processes (one per core, as `--scale worker=N` deploys it) with their summed resident memory
sampled throughout. Then the same number of signed requests of the same size goes to the
same receivers from as many plain processes, each sending its share with the worker's own
httpx clients, concurrency and event loop: ratio = plain time / service time.

Run with `python -m tests.benchmarks.fanout [consignees]`."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tests.benchmarks.scratch import migrate, report, scratch_environment

WHOLESALERS = 501
PORTS = 64
WORKERS = os.cpu_count() or 1
RECEIVER_DELAY_MS = 50
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def receivers() -> Iterator[list[str]]:
    """The receiver process; the base URL of each port it listens on."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.receivers", str(PORTS), str(RECEIVER_DELAY_MS)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ports = json.loads(process.stdout.readline())
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        process.terminate()
        process.wait(10)


class Workers:
    """`count` processes of `recall worker`; their peak summed resident memory, sampled
    every 50 ms."""

    def __init__(self, count: int) -> None:
        self.peak_rss = 0
        self._stop = threading.Event()
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-m", "recall.cli", "worker", "--log-level", "warning"],
                cwd=ROOT,
                env=os.environ.copy(),
                stdin=subprocess.DEVNULL,
            )
            for _ in range(count)
        ]
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        import psutil

        workers = [psutil.Process(process.pid) for process in self.processes]
        while not self._stop.wait(0.05):
            try:
                rss = sum(
                    process.memory_info().rss
                    + sum(child.memory_info().rss for child in process.children(recursive=True))
                    for process in workers
                )
            except psutil.Error:
                return
            self.peak_rss = max(self.peak_rss, rss)

    def stop(self) -> None:
        self._stop.set()
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(30)


async def stats(base: str) -> dict[str, int]:
    import httpx

    async with httpx.AsyncClient() as client:
        answer: dict[str, int] = (await client.get(f"{base}/stats")).json()
        return answer


async def delivered(recall_id: int) -> int:
    """Notices delivered with their attempt logged."""
    from recall import db

    rows = await db.fetch(
        "SELECT COUNT(*) AS n FROM notice n WHERE n.recall = {} AND n.notified_at IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM delivery d JOIN delivery_attempt a ON a.delivery = d.id "
        "WHERE d.notice = n.id AND a.outcome = 'delivered')",
        recall_id,
    )
    return int(rows[0]["n"])


async def service_fanout(consignees: int, urls: list[str]) -> tuple[float, dict[str, int], int]:
    """Seconds from approval to the last notice delivered and logged; receiver counts; RSS."""
    import httpx

    from tests.national import approve, distribute_nationally, propose_for
    from web.app import create_app

    app = create_app()
    async with app.lifespan():
        distribution = await distribute_nationally(urls, WHOLESALERS, consignees - WHOLESALERS)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as api:
            recall_id = await propose_for(api, distribution)
            workers = Workers(WORKERS)
            try:
                await asyncio.sleep(3)  # the worker is up and idle before the clock starts
                started = time.perf_counter()
                approved = await approve(api, recall_id)
                assert approved.status_code == 200, approved.text
                print(f"approved after {time.perf_counter() - started:.1f} s", flush=True)
                done, shown = 0, 0.0
                while done < consignees:
                    await asyncio.sleep(0.25)
                    done = await delivered(recall_id)
                    elapsed = time.perf_counter() - started
                    if elapsed - shown >= 10:
                        print(f"{done:,} delivered after {elapsed:.0f} s", flush=True)
                        shown = elapsed
                    if elapsed > 900:
                        raise SystemExit(f"only {done:,} of {consignees:,} delivered in 15 min")
                seconds = time.perf_counter() - started
            finally:
                workers.stop()
    return seconds, await stats(urls[0]), workers.peak_rss


def plain_fanout(consignees: int, urls: list[str], body_bytes: int) -> float:
    """Seconds the slowest of WORKERS processes takes to send its share of `consignees`."""
    shares = [range(first, consignees, WORKERS) for first in range(WORKERS)]
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WORKERS, mp_context=spawn) as processes:
        sending = [processes.submit(plain_share, share, urls, body_bytes) for share in shares]
        return max(sent.result() for sent in sending)


def plain_share(share: range, urls: list[str], body_bytes: int) -> float:
    import uvloop

    return uvloop.run(plain_requests(share, urls, body_bytes))


async def plain_requests(share: range, urls: list[str], body_bytes: int) -> float:
    """Seconds to send the signed requests numbered `share`, of the same size, with the
    worker's own httpx clients and concurrency, without jobs, database or audit."""
    from standardwebhooks import Webhook

    from recall.masterdata import new_webhook_secret
    from recall.settings import get_settings
    from workers.senders import NetworkSender, http_clients

    settings = get_settings()
    limit = asyncio.Semaphore(settings.delivery.concurrency)
    secret = Webhook(new_webhook_secret())
    payload = json.dumps({"text": "x" * max(0, body_bytes - 11)})
    sender = NetworkSender(http_clients(settings), settings)

    async def send(n: int) -> None:
        async with limit:
            message_id = f"plain-{n}"
            now = datetime.now(UTC)
            headers = {
                "content-type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": secret.sign(message_id, now, payload),
            }
            url = f"{urls[n % len(urls)]}/plain-{n}"
            assert await sender.post(url, payload.encode(), headers) == 204

    try:
        started = time.perf_counter()
        await asyncio.gather(*(send(n) for n in share))
        return time.perf_counter() - started
    finally:
        await sender.aclose()


async def benchmark(consignees: int) -> dict[str, float | int]:
    await migrate()
    with receivers() as urls:
        seconds, arrived, peak_rss = await service_fanout(consignees, urls)
        print(
            f"service: {consignees:,} notices in {seconds:.1f} s "
            f"({consignees / seconds:,.0f}/s), {WORKERS} workers' peak {peak_rss / 2**20:.0f} MB; "
            f"receivers saw {arrived['requests']:,} requests, {arrived['ids']:,} webhook-ids "
            f"({arrived['repeated']:,} sent more than once)",
            flush=True,
        )
        assert arrived["ids"] == consignees, arrived
        body_bytes = arrived["body_bytes"] // arrived["requests"]
        plain = plain_fanout(consignees, urls, body_bytes)
        print(
            f"plain httpx in {WORKERS} processes: {consignees:,} requests of {body_bytes} bytes "
            f"in {plain:.1f} s"
        )
    return {
        "fanout_n": consignees,
        "fanout_seconds": round(seconds, 1),
        "fanout_ratio": round(plain / seconds, 2),
        "fanout_worker_rss_mb": round(peak_rss / 2**20),
        "fanout_plain_seconds": round(plain, 1),
        "fanout_workers": WORKERS,
    }


def main() -> None:
    consignees = int(sys.argv[1]) if len(sys.argv) > 1 else 43_501
    with scratch_environment():
        report(asyncio.run(benchmark(consignees)))


if __name__ == "__main__":
    main()

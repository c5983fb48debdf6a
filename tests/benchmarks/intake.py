"""Benchmark: `POST /api/complaints` against a bare Litestar endpoint doing one INSERT.

Both run under uvicorn with the options `recall serve` uses, one after the other on a free
port, each driven by the same load generator (tests/benchmarks/load.py, its own process)
with the same connections for the same time. The real service answers a signed-in
customer-service user, every complaint naming one batch (as when a batch harms patients),
so duplicate detection, the audit chain and the reference counter all work as in production.
Run with `python -m tests.benchmarks.intake`.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.benchmarks.scratch import migrate, report, scratch_environment

# Enough requests in flight to keep either server busy through loopback and database waits
# (the bare endpoint needs about 16), and more than the pool's 20 connections, so the
# service's own queueing (pool, audit chain) shows in its latency as it would under load.
CONNECTIONS = 32
USERNAME = "cs-bench"
SECONDS = 15
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(app: str, port: int) -> Iterator[str]:
    """`app` (a factory) under uvicorn as `recall serve` runs it; its base URL."""
    options = (
        f"factory=True, host='127.0.0.1', port={port}, log_level='warning', "
        "access_log=False, proxy_headers=True, lifespan='on'"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", f"import uvicorn; uvicorn.run({app!r}, {options})"],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"{app} did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(30)


def load(url: str, body: bytes, headers: list[str]) -> dict[str, float]:
    """The load generator's figures for one target."""
    finished = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.load", url, str(SECONDS), str(CONNECTIONS),
         *headers],
        cwd=ROOT,
        input=body,
        capture_output=True,
        check=True,
    )  # fmt: skip
    figures: dict[str, float] = json.loads(finished.stdout)
    if figures["failures"]:
        raise SystemExit(f"{url}: {figures['failures']} answers were not 201")
    return figures


async def prepare() -> tuple[str, bytes]:
    """A customer-service user's password, and a complaint about one real batch."""
    from recall import db
    from tests.benchmarks.bare_intake import BARE_TABLE
    from tests.factories import PASSWORD, make_batch, make_product, make_user

    await migrate()
    await db.connect()
    try:
        await db.fetch(BARE_TABLE)
        batch = await make_batch((await make_product(name="Paracetamol Sirup")).gtin)
        await make_user("cs", username=USERNAME)
    finally:
        await db.disconnect()
    body = {
        "channel": "phone",
        "reporter": {"name": "Ani Wijaya", "kind": "pharmacist", "contact": "+62 812 555 0101"},
        "gtin": batch.gtin,
        "batch_no": batch.batch_no,
        "description": "The syrup is cloudy and smells odd; two bottles affected.",
        "adverse_event": False,
        "sample_available": True,
    }
    return PASSWORD, json.dumps(body).encode()


def token(base: str, password: str) -> str:
    import httpx

    answer = httpx.post(f"{base}/api/auth/login", json={"username": USERNAME, "password": password})
    answer.raise_for_status()
    return str(answer.json()["token"])


def benchmark() -> dict[str, float]:
    password, body = asyncio.run(prepare())
    with served("tests.benchmarks.bare_intake:create_app", free_port()) as base:
        bare = load(f"{base}/complaints", body, [])
    print(f"bare Litestar + asyncpg INSERT: {bare['rps']:,} req/s, p99 {bare['p99_ms']} ms")
    with served("web.app:create_app", free_port()) as base:
        bearer = f"authorization: Bearer {token(base, password)}"
        service = load(f"{base}/api/complaints", body, [bearer])
    print(f"POST /api/complaints: {service['rps']:,} req/s, p99 {service['p99_ms']} ms")
    return {
        "intake_rps": service["rps"],
        "intake_p99_ms": service["p99_ms"],
        "intake_ratio": round(service["rps"] / bare["rps"], 2),
        "intake_bare_rps": bare["rps"],
        "intake_bare_p99_ms": bare["p99_ms"],
    }


def main() -> None:
    with scratch_environment():
        report(benchmark())


if __name__ == "__main__":
    main()

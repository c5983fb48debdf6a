"""Benchmark: `POST /api/complaints` of `recall serve` against a bare Litestar endpoint doing
one INSERT (tests/benchmarks/bare_intake.py).

The service runs as production runs it (`recall serve`: production mode, default log level,
its JSON access log written to a file); the bare endpoint runs under uvicorn with the same
options. One load generator (tests/benchmarks/load.py, its own process) drives either with
the same connections for the same time: 32 customer-service users, each signed in and
sending on its own connection, the complaints naming 50 products' batches in turn (so no
single user, product or batch is read from a warm cache). The sides alternate, bare first,
each measured ROUNDS times, each run in a freshly started server; the figures are medians.
Afterwards the complaint references must run 1..N without a gap in every year, and
`recall audit verify` must pass; else the benchmark fails.

Run with `python -m tests.benchmarks.intake [seconds per run] [rounds]`.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
from typing import Any

from tests.benchmarks.scratch import migrate, report, scratch_environment
from tests.benchmarks.served import (
    ROOT,
    free_port,
    private_data_dir,
    recall_command,
    recall_serve,
    served,
)

# Enough requests in flight to keep either server busy through loopback and database waits
# (the bare endpoint needs about 16), and more than the pool's 20 connections, so the
# service's own queueing (pool, audit chain) shows in its latency as it would under load.
CONNECTIONS = 32
PRODUCTS = 50
SECONDS = 15
ROUNDS = 3
BARE_APP = "tests.benchmarks.bare_intake:create_app"


def load(url: str, plan: dict[str, Any], seconds: float) -> dict[str, float]:
    """The load generator's figures for one run against `url`."""
    finished = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.load", url, str(seconds), str(CONNECTIONS)],
        cwd=ROOT,
        input=json.dumps(plan).encode(),
        capture_output=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(finished.stdout)
    if figures["failures"]:
        raise SystemExit(f"{url}: {figures['failures']} answers were not 201")
    return figures


def complaint(gtin: str, batch_no: str, number: int) -> dict[str, Any]:
    return {
        "channel": "phone",
        "reporter": {"name": "Ani Wijaya", "kind": "pharmacist", "contact": "+62 812 555 0101"},
        "gtin": gtin,
        "batch_no": batch_no,
        "description": f"The syrup is cloudy and smells odd; {number % 5 + 1} bottles affected.",
        "adverse_event": False,
        "sample_available": True,
    }


async def prepare() -> dict[str, Any]:
    """The load plan: a complaint about each of PRODUCTS batches, and the bearer header of
    each of CONNECTIONS signed-in customer-service users."""
    from recall import db
    from tests.benchmarks.bare_intake import BARE_TABLE
    from tests.factories import headers_of, make_batch, make_product, make_user

    await migrate()
    await db.connect()
    try:
        await db.fetch(BARE_TABLE)
        bodies = []
        for number in range(PRODUCTS):
            product = await make_product(name=f"Paracetamol Sirup {number}")
            batch = await make_batch(product.gtin)
            bodies.append(complaint(batch.gtin, batch.batch_no, number))
        headers = []
        for number in range(CONNECTIONS):
            signed_in = await headers_of(await make_user("cs", username=f"cs-bench-{number}"))
            headers.append([f"authorization: {signed_in['Authorization']}"])
    finally:
        await db.disconnect()
    return {"bodies": bodies, "headers": headers}


def alternate(plan: dict[str, Any], seconds: float, rounds: int) -> tuple[list[dict], list[dict]]:
    """`rounds` runs of each side, bare then service, each in a fresh server."""
    bare: list[dict[str, float]] = []
    service: list[dict[str, float]] = []
    for round_number in range(1, rounds + 1):
        with served(BARE_APP, free_port()) as base:
            bare.append(load(f"{base}/complaints", plan, seconds))
        with recall_serve() as base:
            service.append(load(f"{base}/api/complaints", plan, seconds))
        print(
            f"round {round_number}: bare {bare[-1]['rps']:,} req/s (p99 {bare[-1]['p99_ms']} ms), "
            f"service {service[-1]['rps']:,} req/s (p99 {service[-1]['p99_ms']} ms)",
            flush=True,
        )
    return bare, service


async def reference_gaps() -> list[str]:
    """Every year's complaint references must number 1..N: what is wrong, if anything."""
    from recall import db

    await db.connect()
    try:
        rows = await db.fetch("SELECT reference FROM complaint")
    finally:
        await db.disconnect()
    years: dict[str, list[int]] = {}
    for row in rows:
        counter, number = str(row["reference"]).rsplit("-", 1)
        years.setdefault(counter, []).append(int(number))
    problems = []
    for counter, numbers in sorted(years.items()):
        numbers.sort()
        if numbers != list(range(1, len(numbers) + 1)):
            missing = sorted(set(range(1, numbers[-1] + 1)) - set(numbers))[:10]
            problems.append(f"{counter}: {len(numbers):,} references, missing {missing}")
        else:
            print(f"{counter}: {len(numbers):,} references, 1..{len(numbers):,} without a gap")
    return problems


def median(runs: list[dict[str, float]], key: str) -> float:
    return round(statistics.median(run[key] for run in runs), 1)


def benchmark(seconds: float, rounds: int) -> dict[str, float]:
    plan = asyncio.run(prepare())
    bare, service = alternate(plan, seconds, rounds)
    problems = asyncio.run(reference_gaps())
    if problems:
        raise SystemExit("complaint references have gaps: " + "; ".join(problems))
    print(recall_command("audit", "verify"), flush=True)
    return {
        "intake_rps": median(service, "rps"),
        "intake_p99_ms": median(service, "p99_ms"),
        "intake_ratio": round(median(service, "rps") / median(bare, "rps"), 2),
        "intake_bare_rps": median(bare, "rps"),
        "intake_bare_p99_ms": median(bare, "p99_ms"),
    }


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else SECONDS
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS
    with scratch_environment(), private_data_dir():
        report(benchmark(seconds, rounds))


if __name__ == "__main__":
    main()

"""Benchmark: a class I recall reaching 43,501 consignees, each with its own webhook, against
the same requests sent by hand-written senders that share no code with the product.

501 wholesalers and 43,000 pharmacies, their webhooks spread over 64 loopback ports of one
receiver process that answers after 50 ms and verifies every Standard Webhooks signature
with the consignee's secret.

Service side, as production runs it: `recall serve` (its default options and access log)
and WORKERS `recall worker` processes (one per core), in RECALL_MODE=production, on a fresh
copy of a database holding the distribution (CREATE DATABASE … TEMPLATE) and a fresh Redis
DB index. QA proposes the recall over HTTP; the clock runs from the QA manager's approval
request until every notice is delivered and its attempt logged. `approve_seconds` is how
long that request takes to answer 200; the workers' and the web process's memory is their
peak summed PSS (children included) during the run.

Baseline: `tests.benchmarks.plain_senders` with httpx and with aiohttp, as many processes
as workers, the same concurrency, body size, secrets and URLs. Service, httpx and aiohttp
runs alternate RUNS times; each figure is the median of its runs, and
fanout_ratio = the faster plain median / the service median.

Every run must bring each consignee's webhook exactly once with a valid signature, or the
benchmark fails. Run with `python -m tests.benchmarks.fanout [consignees]`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.benchmarks.plain_senders import KINDS, plain_fanout
from tests.benchmarks.processes import service
from tests.benchmarks.receivers import Receivers, receivers
from tests.benchmarks.scratch import (
    DATABASE_SERVER,
    REDIS_SERVER,
    migrate,
    report,
    scratch_environment,
)
from tests.servers import admin_execute, claim_redis_db, release_redis_db, with_database

WHOLESALERS = 501
PORTS = 64
WORKERS = os.cpu_count() or 1
RECEIVER_DELAY_MS = 50
RUNS = 3
DEADLINE_SECONDS = 900  # from the approval request to the last notice delivered
IDLE_SECONDS = 3  # the workers are up and idle before the clock starts


@dataclass(frozen=True)
class Setup:
    """What every run needs: the distributed batch, who proposes and approves, the secrets."""

    batch_id: int
    proposer: str
    approver: str
    consignees: int
    workdir: Path  # the service's data directory and logs
    secrets_file: Path  # JSON: webhook URL → signing secret


@dataclass(frozen=True)
class ServiceRun:
    seconds: float
    approve_seconds: float
    body_bytes: int  # per request, as the receivers saw them
    web_pss_mb: int
    worker_pss_mb: int


async def prepare(urls: list[str], wholesalers: int, outlets: int, workdir: Path) -> Setup:
    """The schema, the distribution, a QA user and a QA manager; the secrets in a file."""
    from recall import db
    from tests.factories import make_user
    from tests.national import distribute_by_copy

    await migrate()
    started = time.perf_counter()
    distribution = await distribute_by_copy(urls, wholesalers, outlets)
    print(f"{distribution.consignees:,} consignees and their shipments written in "
          f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
    proposer, approver = await make_user("qa"), await make_user("qa_manager")
    rows = await db.fetch("SELECT code, webhook_url FROM consignee WHERE code LIKE 'N-%'")
    secrets_file = workdir / "secrets.json"
    secrets = {row["webhook_url"]: distribution.secrets[row["code"]] for row in rows}
    secrets_file.write_text(json.dumps(secrets))
    return Setup(
        distribution.batch_id,
        proposer.username,
        approver.username,
        distribution.consignees,
        workdir,
        secrets_file,
    )


async def sign_in(api: httpx.AsyncClient, username: str) -> dict[str, str]:
    from tests.factories import PASSWORD

    answer = await api.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def delivered(database_url: str, recall_id: int) -> int:
    """Notices of the recall delivered with their attempt logged."""
    import asyncpg

    connection = await asyncpg.connect(database_url)
    try:
        count: int = await connection.fetchval(
            "SELECT COUNT(*) FROM notice n WHERE n.recall = $1 AND n.notified_at IS NOT NULL "
            "AND EXISTS (SELECT 1 FROM delivery d JOIN delivery_attempt a ON a.delivery = d.id "
            "WHERE d.notice = n.id AND a.outcome = 'delivered')",
            recall_id,
        )
        return count
    finally:
        await connection.close()


async def until_delivered(
    arrivals: Receivers, database_url: str, recall_id: int, expected: int, started: float
) -> None:
    """Wait for every notice at the receivers (cheap to ask), then logged as delivered in
    the database; SystemExit past DEADLINE_SECONDS."""
    shown = 0.0

    async def waited(done: int) -> None:
        nonlocal shown
        elapsed = time.perf_counter() - started
        if elapsed > DEADLINE_SECONDS:
            raise SystemExit(f"only {done:,} of {expected:,} delivered in {DEADLINE_SECONDS} s")
        if elapsed - shown >= 10:
            print(f"  {done:,} arrived after {elapsed:.0f} s", flush=True)
            shown = elapsed
        await asyncio.sleep(0.25)

    while (arrived := arrivals.stats()["ids"]) < expected:
        await waited(arrived)
    while (logged := await delivered(database_url, recall_id)) < expected:
        await waited(logged)


def check_arrivals(arrivals: Receivers, expected: int, what: str) -> dict[str, int]:
    """The receivers' counts; SystemExit unless each of `expected` webhooks came once, signed."""
    seen = arrivals.stats()
    once = seen["ids"] == seen["requests"] == expected and seen["repeated"] == 0
    if not once or seen["bad_signatures"]:
        raise SystemExit(f"{what}: expected {expected:,} webhooks once each, signed; got {seen}")
    return seen


async def approve_and_deliver(
    api: httpx.AsyncClient, arrivals: Receivers, setup: Setup, database_url: str
) -> tuple[float, float]:
    """QA proposes, the QA manager approves; seconds from the approval request to the last
    notice delivered and logged, and to the approval's answer."""
    from tests.factories import approve, propose

    proposed = await propose(
        api,
        await sign_in(api, setup.proposer),
        batch_ids=[setup.batch_id],
        health_hazard_assessment="Acute kidney injury possible; life-threatening.",
    )
    approver = await sign_in(api, setup.approver)
    await asyncio.sleep(IDLE_SECONDS)
    started = time.perf_counter()
    approved = await approve(api, proposed["id"], approver, meaning="Approved for execution")
    approve_seconds = time.perf_counter() - started
    assert approved.status_code == 200, approved.text
    print(f"  approved in {approve_seconds:.1f} s", flush=True)
    await until_delivered(arrivals, database_url, proposed["id"], setup.consignees, started)
    return time.perf_counter() - started, approve_seconds


async def service_fanout(
    arrivals: Receivers, setup: Setup, environment: dict[str, str]
) -> ServiceRun:
    """One recall over HTTP to `recall serve`, delivered by `recall worker` processes."""
    arrivals.reset()
    database_url = environment.get("RECALL_DATABASE_URL", os.environ["RECALL_DATABASE_URL"])
    with service(WORKERS, setup.workdir, environment) as running:
        async with httpx.AsyncClient(base_url=running.base_url, timeout=DEADLINE_SECONDS) as api:
            seconds, approve_seconds = await approve_and_deliver(api, arrivals, setup, database_url)
        running.stop_sampling()
    seen = check_arrivals(arrivals, setup.consignees, "service")
    return ServiceRun(
        seconds,
        approve_seconds,
        seen["body_bytes"] // seen["requests"],
        running.web_pss.peak_mb,
        running.worker_pss.peak_mb,
    )


@contextmanager
def fresh_copy(template: str) -> Iterator[dict[str, str]]:
    """A new database copied from `template` and a new Redis DB index, as RECALL_* settings."""
    name = f"{template}_{uuid.uuid4().hex[:6]}"
    admin = functools.partial(admin_execute, DATABASE_SERVER)
    asyncio.run(admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    redis_url = asyncio.run(claim_redis_db(REDIS_SERVER, f"bench-{name}"))
    try:
        yield {"RECALL_DATABASE_URL": with_database(DATABASE_SERVER, name),
               "RECALL_REDIS_URL": redis_url}  # fmt: skip
    finally:
        release_redis_db(redis_url)
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def stop_on_terminate() -> None:
    """SIGTERM (a time limit) ends the benchmark through its clean-up: processes stopped,
    scratch databases dropped."""
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit("terminated"))


def production_mode(workdir: Path) -> None:
    """Settings as production has them (password hashing, mail), files in `workdir`."""
    os.environ["RECALL_MODE"] = "production"
    os.environ["RECALL_DATA_DIR"] = str(workdir)


def alternate(arrivals: Receivers, setup: Setup) -> dict[str, list]:
    """RUNS rounds of a service run on a fresh copy, then each plain sender; every figure."""
    runs: dict[str, list] = {"service": [], **{kind: [] for kind in KINDS}}
    template = os.environ["RECALL_DATABASE_URL"].rsplit("/", 1)[1]
    for round_ in range(1, RUNS + 1):
        with fresh_copy(template) as environment:
            run = asyncio.run(service_fanout(arrivals, setup, environment))
        runs["service"].append(run)
        print(f"round {round_}: service {run.seconds:.1f} s (approved in "
              f"{run.approve_seconds:.1f} s; PSS workers {run.worker_pss_mb} MB, "
              f"web {run.web_pss_mb} MB)", flush=True)  # fmt: skip
        for kind in KINDS:
            arrivals.reset()
            seconds = plain_fanout(kind, setup.secrets_file, WORKERS, run.body_bytes)
            check_arrivals(arrivals, setup.consignees, f"plain {kind}")
            runs[kind].append(seconds)
            print(f"round {round_}: plain {kind} {seconds:.1f} s", flush=True)
    return runs


def figures(runs: dict[str, list], consignees: int) -> dict[str, float | int]:
    service_runs: list[ServiceRun] = runs["service"]
    seconds = statistics.median(run.seconds for run in service_runs)
    plain = {kind: statistics.median(runs[kind]) for kind in KINDS}
    return {
        "fanout_n": consignees,
        "fanout_seconds": round(seconds, 1),
        "fanout_plain_httpx_seconds": round(plain["httpx"], 1),
        "fanout_plain_aiohttp_seconds": round(plain["aiohttp"], 1),
        "fanout_ratio": round(min(plain.values()) / seconds, 2),
        "approve_seconds": round(statistics.median(run.approve_seconds for run in service_runs), 2),
        "fanout_worker_pss_mb": max(run.worker_pss_mb for run in service_runs),
        "fanout_web_pss_mb": max(run.web_pss_mb for run in service_runs),
        "fanout_workers": WORKERS,
        "fanout_runs": len(service_runs),
    }


@contextmanager
def prepared(wholesalers: int, outlets: int) -> Iterator[tuple[Receivers, Setup]]:
    """In production mode, a scratch database holding the distribution and the receivers
    verifying its consignees' signatures."""
    stop_on_terminate()
    with (
        scratch_environment(),
        tempfile.TemporaryDirectory(prefix="fanout-") as directory,
        receivers(PORTS, RECEIVER_DELAY_MS) as arrivals,
    ):
        workdir = Path(directory)
        production_mode(workdir)
        setup = asyncio.run(prepare(arrivals.urls, wholesalers, outlets, workdir))
        arrivals.load_secrets(setup.secrets_file)
        yield arrivals, setup


def main() -> None:
    consignees = int(sys.argv[1]) if len(sys.argv) > 1 else 43_501
    wholesalers = min(WHOLESALERS, consignees // 2)
    with prepared(wholesalers, consignees - wholesalers) as (arrivals, setup):
        runs = alternate(arrivals, setup)
    report(figures(runs, consignees))


if __name__ == "__main__":
    main()

"""Many processes on one PostgreSQL and Redis: two `recall serve`, two `recall worker` and a
webhook receiver, started once for the module (only when the suite runs on those servers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SERVER_DATABASE_URL, SERVER_REDIS_URL
from tests.harness import ROOT, WorkerProcess, free_port, wait_until_healthy

# SQLite and the embedded Redis belong to one process tree: nothing to share.
ON_SERVERS = pytest.mark.skipif(
    not (SERVER_DATABASE_URL and SERVER_REDIS_URL),
    reason="many processes share PostgreSQL and Redis: set RECALL_TEST_DATABASE_URL and "
    "RECALL_TEST_REDIS_URL",
)

LOGIN_LIMIT = 4
RECEIVER_PORTS = 4
START_SECONDS = 60


@dataclass
class Fleet:
    web: list[str]  # base URLs of the `recall serve` processes
    workers: list[WorkerProcess]
    receivers: list[str]  # base URLs of the webhook receiver's ports
    started: float  # time.time() when the workers were started

    def worker_logs(self) -> str:
        return "\n".join(worker.output() for worker in self.workers)


def _environment() -> dict[str, str]:
    return {
        **os.environ,
        "RECALL_LOGIN_ATTEMPTS_PER_MINUTE": str(LOGIN_LIMIT),
        # Reminders come due a second or so after a notice is created, not days later.
        "RECALL_REMINDER_FRACTIONS": "0.000001",
        # Several delivery jobs per fan-out, so both workers take a share.
        "RECALL_NOTICES_PER_JOB": "50",
        "RECALL_DATABASE_POOL_SIZE": "5",
    }


def _served(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "recall.cli", "serve", "--log-level", "warning"],
            cwd=ROOT,
            env={**env, "RECALL_HOST": "127.0.0.1", "RECALL_PORT": str(port)},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    logs = tmp_path_factory.mktemp("scale")
    env = _environment()
    receiver = subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.receivers", str(RECEIVER_PORTS), "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert receiver.stdout is not None
    ports = json.loads(receiver.stdout.readline())
    servers = [_served(env, logs / f"serve-{n}.log") for n in range(2)]
    workers = [WorkerProcess(env, logs / f"worker-{n}.log") for n in range(2)]
    started = time.time()
    for worker in workers:
        worker.start()
    try:
        for n, (process, url) in enumerate(servers):
            wait_until_healthy(process, url, logs / f"serve-{n}.log", START_SECONDS)
        yield Fleet(
            web=[url for _, url in servers],
            workers=workers,
            receivers=[f"http://127.0.0.1:{port}" for port in ports],
            started=started,
        )
    finally:
        for worker in workers:
            worker.stop()
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            process.wait(20)
        receiver.terminate()
        receiver.wait(10)

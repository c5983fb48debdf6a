"""Real processes for end-to-end and fault tests: `recall worker` as a child, a private
Redis-compatible server that can be stopped and started, and waiting for a condition."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from recall import db
from recall.embedded import EmbeddedRedis, start_redis

ROOT = Path(__file__).resolve().parents[1]


def wait_until_healthy(
    process: subprocess.Popen[bytes], url: str, log: Path, seconds: float = 60
) -> None:
    """Wait for a started `recall serve` to answer /health; its log when it dies or is late."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert process.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[None]:
    """Hold the app's lifespan open in one task (fixture set-up and tear-down run in two)."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when="FIRST_COMPLETED")
    if task.done():
        task.result()  # start-up failed: raise its error
    try:
        yield
    finally:
        stop.set()
        await task


async def run_recall(*args: str, stdin: str = "", **env: str) -> tuple[int, str, str]:
    """The `recall` command as an operator runs it, against the suite's database: exit code,
    standard output, standard error."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "recall.cli", *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env},
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def forget_sign_in_counts() -> None:
    """Drop the sign-in failure counts kept in Redis (a served app's throttle)."""
    from redis.asyncio import Redis

    from recall.settings import get_settings

    redis = Redis.from_url(get_settings().redis_url)
    try:
        keys = [key async for key in redis.scan_iter("recall:sign-in:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()
    await asyncio.sleep(0)


# Redis and the worker ---------------------------------------------------------------------


@pytest.fixture
def private_redis() -> Iterator[tuple[list[EmbeddedRedis], Path]]:
    # A short path: unix socket paths are limited to about 100 characters.
    directory = Path(tempfile.mkdtemp(prefix="rcl-e2e-"))
    servers = [start_redis(directory / "redis", persist=True)]
    yield servers, directory
    for server in servers:
        server.stop()
    shutil.rmtree(directory, ignore_errors=True)


class WorkerProcess:
    """`recall worker` as a child process, its output kept in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "recall.cli", "worker", "--log-level", "info"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


async def until(
    check: Callable[[], Awaitable[Any]], seconds: float, what: str, worker: WorkerProcess
) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}; worker log:\n{worker.output()}")
        await asyncio.sleep(0.1)


async def count(sql: str, *values: Any) -> int:
    return int((await db.fetch(sql, *values))[0]["n"])


@pytest_asyncio.fixture
async def api(private_redis) -> AsyncIterator[httpx.AsyncClient]:
    """The app in this loop, its outbox kick pointed at the private Redis."""
    from web.app import create_app
    from web.queue import job_queue

    servers, _ = private_redis
    app = create_app()
    async with running(app):
        await app.state.redis.aclose()
        app.state.redis = job_queue(servers[0].url)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

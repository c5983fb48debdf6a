"""Servers the benchmarks measure, each its own process on a free loopback port.

`recall_serve()` starts `python -m recall.cli serve` as production runs it: production mode,
the default log level, so one JSON access-log line per request (web.observability), written
to a file as a container's log would be. `served()` runs another app (a yardstick) under
uvicorn with the options `recall serve` passes (recall/cli/_serve.py). `private_data_dir()`
keeps the audit checkpoints and dropped mail of a run out of the checkout's `.recall`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.benchmarks.scratch import report, scratch_environment

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60
# uvicorn.run's options in cmd_serve, with no trusted proxies (RECALL_TRUSTED_PROXIES unset).
SERVE_OPTIONS = (
    "factory=True, host='127.0.0.1', port={port}, log_level='info', log_config=None, "
    "access_log=False, proxy_headers=False, forwarded_allow_ips=[], lifespan='on'"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def private_data_dir() -> Iterator[Path]:
    """A temporary RECALL_DATA_DIR (and audit checkpoint folder) for this process and the
    processes it starts; set before the project's settings are first read."""
    with tempfile.TemporaryDirectory(prefix="recall-bench-") as folder:
        os.environ["RECALL_DATA_DIR"] = folder
        os.environ["RECALL_AUDIT_CHECKPOINT_DIR"] = str(Path(folder) / "audit-checkpoints")
        yield Path(folder)


@contextmanager
def running(command: list[str], port: int, env: dict[str, str], log: Path) -> Iterator[str]:
    """`command` started with its output in `log`; its base URL once it accepts connections."""
    with log.open("ab") as output:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    tail = log.read_text(errors="replace")[-2000:]
                    raise SystemExit(f"{' '.join(command)} did not start:\n{tail}") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(30)


def log_file(name: str) -> Path:
    """Where a server's output goes: the run's data dir (see private_data_dir)."""
    return Path(os.environ.get("RECALL_DATA_DIR", tempfile.gettempdir())) / f"{name}.log"


@contextmanager
def recall_serve(port: int | None = None) -> Iterator[str]:
    """`recall serve` in production mode with its default options; its base URL."""
    port = port or free_port()
    env = {**os.environ, "RECALL_MODE": "production", "RECALL_HOST": "127.0.0.1",
           "RECALL_PORT": str(port)}  # fmt: skip
    command = [sys.executable, "-m", "recall.cli", "serve"]
    with running(command, port, env, log_file("recall-serve")) as base:
        yield base


def recall_command(*arguments: str) -> str:
    """`recall <arguments>` as an operator runs it; its output, or SystemExit when it fails."""
    finished = subprocess.run(
        [sys.executable, "-m", "recall.cli", *arguments], cwd=ROOT, capture_output=True, text=True
    )
    if finished.returncode != 0:
        command = " ".join(["recall", *arguments])
        raise SystemExit(f"{command} failed:\n{finished.stdout}{finished.stderr}")
    return finished.stdout.strip()


@contextmanager
def served(app: str, port: int) -> Iterator[str]:
    """`app` (a factory) under uvicorn with the options `recall serve` uses; its base URL."""
    run = f"import uvicorn; uvicorn.run({app!r}, {SERVE_OPTIONS.format(port=port)})"
    command = [sys.executable, "-c", run]
    with running(command, port, os.environ.copy(), log_file(app.split(":")[0])) as base:
        yield base


def run_at_size(benchmark: Callable[[int], Awaitable[dict[str, Any]]], default: int) -> None:
    """`benchmark` at the size the command line gives (else `default`), on a scratch database
    with a private data dir; its figures as the last line."""
    size = int(sys.argv[1]) if len(sys.argv) > 1 else default
    with scratch_environment(), private_data_dir():
        report(asyncio.run(benchmark(size)))

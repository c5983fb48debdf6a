"""The service as production runs it, for the benchmarks: `recall serve` and `recall worker`
processes started with the environment's settings and their commands' default options,
their output written to log files, and their memory sampled as PSS (proportional set size:
pages shared between processes counted once, shared among them).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_SECONDS = 0.2


class PeakPss:
    """The peak of the summed PSS of some processes and all their children, sampled every
    SAMPLE_SECONDS in a thread until `stop`."""

    def __init__(self, pids: list[int]) -> None:
        self.peak_bytes = 0
        self._processes = [psutil.Process(pid) for pid in pids]
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    @property
    def peak_mb(self) -> int:
        return round(self.peak_bytes / 2**20)

    def _pss(self) -> int:
        total = 0
        for parent in self._processes:
            for process in [parent, *parent.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess):  # a child that just ended
                    total += process.memory_full_info().pss
        return total

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            try:
                self.peak_bytes = max(self.peak_bytes, self._pss())
            except psutil.NoSuchProcess:
                return  # a sampled process ended

    def stop(self) -> None:
        self._stop.set()
        self._sampler.join()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _recall(command: str, log: Path, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    """`recall <command>` with its default options, its output to `log`."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "recall.cli", command],
            cwd=ROOT,
            env={**os.environ, **environment},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _last_lines(log: Path, count: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-count:])


def _wait_healthy(base_url: str, web: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise SystemExit(f"recall serve ended (exit {web.returncode}):\n{_last_lines(log)}")
        try:
            if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"recall serve not ready after 60 s:\n{_last_lines(log)}")


class Service:
    """One `recall serve` and `workers` `recall worker` processes, their peak PSS sampled."""

    def __init__(self, web: subprocess.Popen[bytes], workers: list[subprocess.Popen[bytes]],
                 base_url: str) -> None:  # fmt: skip
        self.base_url = base_url
        self.web_pss = PeakPss([web.pid])
        self.worker_pss = PeakPss([worker.pid for worker in workers])

    def stop_sampling(self) -> None:
        self.web_pss.stop()
        self.worker_pss.stop()


@contextmanager
def service(workers: int, logs: Path, environment: dict[str, str]) -> Iterator[Service]:
    """`recall serve` on a free port, ready, and `workers` `recall worker` processes, with
    `environment` over the current one; stopped on leaving."""
    port = free_port()
    environment = {**environment, "RECALL_PORT": str(port)}
    base_url = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        web = _recall("serve", logs / "serve.log", environment)
        stack.callback(_stop, [web])
        _wait_healthy(base_url, web, logs / "serve.log")
        started = [_recall("worker", logs / f"worker-{n}.log", environment) for n in range(workers)]
        stack.callback(_stop, started)
        running = Service(web, started, base_url)
        stack.callback(running.stop_sampling)
        try:
            yield running
        except BaseException:
            _show_logs(logs)
            print(f"peak PSS so far: recall serve {running.web_pss.peak_mb} MB, workers "
                  f"{running.worker_pss.peak_mb} MB", file=sys.stderr, flush=True)  # fmt: skip
            raise


def _show_logs(logs: Path) -> None:
    """The last lines each process wrote, for a run that failed."""
    for log in sorted(logs.glob("*.log")):
        print(f"--- {log.name}\n{_last_lines(log)}", file=sys.stderr, flush=True)

"""`recall demo` (what `make run` starts): up, usable, and gone without a trace on Ctrl-C."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow

STARTUP_SECONDS = 60
DEMO_LOGINS = ["admin", "cs", "qa", "manager", "inspector", "pbf-jakarta", "pbf-surabaya",
               "pbf-medan"]  # fmt: skip


@dataclass
class Demo:
    process: subprocess.Popen
    url: str
    stdout: Path
    stderr: Path

    def banner(self, seconds: float = 10) -> str:
        deadline = time.monotonic() + seconds
        while "pbf-medan" not in self.stdout.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.stdout.read_text()

    def login(self, username: str) -> str:
        response = httpx.post(
            f"{self.url}/api/auth/login",
            json={"username": username, "password": "demo"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["token"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(demo: Demo) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert demo.process.poll() is None, f"demo exited early:\n{demo.stderr.read_text()}"
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{demo.url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"/health did not answer within {STARTUP_SECONDS} s:\n{demo.stderr.read_text()}")


@contextlib.contextmanager
def running_demo(directory: Path, run: str = "first") -> Iterator[Demo]:
    port = free_port()
    env = {**os.environ, "RECALL_DATA_DIR": str(directory / "data"), "RECALL_PORT": str(port)}
    env["RECALL_WEBHOOK_ALLOWED_NETWORKS"] = ""  # the default: the demo must not need any
    out, err = directory / f"{run}.out", directory / f"{run}.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "recall.cli", "demo"], env=env, stdout=stdout, stderr=stderr
        )
    demo = Demo(process, f"http://127.0.0.1:{port}", out, err)
    try:
        wait_until_healthy(demo)
        yield demo
    finally:
        if process.poll() is None:
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
            process.wait()


@pytest.fixture
def data_dir():
    # Short path: the valkey unix socket lives below it (sun_path holds ~107 bytes).
    directory = Path(tempfile.mkdtemp(prefix="rd-", dir="/tmp"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def test_demo_starts_serves_and_stops_cleanly_on_ctrl_c(data_dir):
    with running_demo(data_dir) as demo:
        banner = demo.banner()
        assert demo.url in banner
        for username in DEMO_LOGINS:
            assert f"  {username} " in banner
        assert "password 'demo'" in banner

        token = demo.login("cs")
        assert token
        ready = httpx.get(f"{demo.url}/ready", timeout=10)
        assert ready.json() == {"status": "ok", "database": "ok", "redis": "ok"}

        children = psutil.Process(demo.process.pid).children(recursive=True)
        commands = " ".join(" ".join(child.cmdline()) for child in children)
        assert "serve" in commands and "worker" in commands and "valkey-server" in commands

        demo.process.send_signal(signal.SIGINT)
        assert demo.process.wait(timeout=30) == 0, demo.stderr.read_text()
        _, alive = psutil.wait_procs(children, timeout=5)
        assert alive == [], f"left behind: {alive}"


def test_demo_restarts_with_its_data_and_sign_ins(data_dir):
    with running_demo(data_dir, "first") as demo:
        token = demo.login("qa")
        first = httpx.get(
            f"{demo.url}/api/audit?limit=1", headers={"Authorization": f"Bearer {token}"}
        )
        assert first.status_code == 200
        demo.process.send_signal(signal.SIGTERM)
        assert demo.process.wait(timeout=30) == 0

    with running_demo(data_dir, "second") as demo:
        again = httpx.get(
            f"{demo.url}/api/audit?limit=1", headers={"Authorization": f"Bearer {token}"}
        )
        assert again.status_code == 200, "a token from before the restart still signs in"
        assert again.json()["total"] == first.json()["total"], "demo data loaded only once"
        demo.process.send_signal(signal.SIGTERM)
        assert demo.process.wait(timeout=30) == 0

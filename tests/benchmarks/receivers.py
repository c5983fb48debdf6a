"""Webhook receivers for the fan-out benchmarks: one process listening on many loopback
ports, answering every POST with 204 after a fixed delay (a consignee's server at work) and
verifying its Standard Webhooks signature with the consignee's secret.

Keep-alive HTTP/1.1 on plain asyncio streams, so the receivers cost little next to what
they measure. Any port answers `GET /stats` with what arrived since the last `GET /reset`:
requests, distinct webhook-ids, ids that came more than once, bad signatures, bytes of body.
`GET /secrets?file=PATH` loads a JSON object of webhook URL → signing secret; a request to a
path with no secret counts as a bad signature.

Run as `python -m tests.benchmarks.receivers PORTS DELAY_MS`; it prints the ports it
listens on as one JSON line, then serves until terminated. `Receivers` (below) starts it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"
ROOT = Path(__file__).resolve().parents[2]


class Arrivals:
    """What the receivers saw, and the secrets they verify signatures with."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.secrets: dict[str, str] = {}  # URL path → signing secret
        self.webhooks: dict[str, Webhook] = {}
        self.reset()

    def reset(self) -> None:
        self.ids: Counter[str] = Counter()
        self.bad_signatures = 0
        self.body_bytes = 0

    def load_secrets(self, file: str) -> None:
        by_url: dict[str, str] = json.loads(Path(file).read_text())
        self.secrets = {urlsplit(url).path: secret for url, secret in by_url.items()}
        self.webhooks = {}

    def stats(self) -> dict[str, int]:
        return {
            "requests": sum(self.ids.values()),
            "ids": len(self.ids),
            "repeated": sum(1 for count in self.ids.values() if count > 1),
            "bad_signatures": self.bad_signatures,
            "body_bytes": self.body_bytes,
        }

    def arrived(self, path: str, headers: dict[str, str], body: bytes) -> None:
        self.ids[headers.get("webhook-id", "")] += 1
        self.body_bytes += len(body)
        if not self._verified(path, headers, body):
            self.bad_signatures += 1

    def _verified(self, path: str, headers: dict[str, str], body: bytes) -> bool:
        webhook = self.webhooks.get(path)
        if webhook is None:
            if path not in self.secrets:
                return False
            webhook = self.webhooks[path] = Webhook(self.secrets[path])
        try:
            webhook.verify(body, headers, json_parse=False)
        except WebhookVerificationError:
            return False
        return True

    def answer(self, target: str) -> bytes:
        """The answer to a GET: the stats, after a reset or loading secrets when asked."""
        parts = urlsplit(target)
        if parts.path == "/secrets":
            self.load_secrets(parse_qs(parts.query)["file"][0])
        elif parts.path == "/reset":
            self.reset()
        body = json.dumps(self.stats()).encode()
        head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}"
        return head.encode() + b"\r\n\r\n" + body

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                method, target, _ = request_line.split(" ", 2)
                if method == "GET":
                    writer.write(self.answer(target))
                    continue
                self.arrived(target, headers, body)
                await asyncio.sleep(self.delay)
                writer.write(NO_CONTENT)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _bound_sockets(count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1024)
        sockets.append(listener)
    return sockets


async def main(ports: int, delay_ms: float) -> None:
    arrivals = Arrivals(delay_ms / 1000)
    listeners = _bound_sockets(ports)
    for listener in listeners:
        await asyncio.start_server(arrivals.serve, sock=listener)
    print(json.dumps([listener.getsockname()[1] for listener in listeners]), flush=True)
    await asyncio.Event().wait()


class Receivers:
    """The receiver process, seen from the benchmark: its base URLs, counts and secrets."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls

    def _get(self, target: str) -> dict[str, int]:
        import httpx

        answer: dict[str, int] = httpx.get(f"{self.urls[0]}{target}", timeout=60).json()
        return answer

    def stats(self) -> dict[str, int]:
        return self._get("/stats")

    def reset(self) -> None:
        self._get("/reset")

    def load_secrets(self, file: Path) -> None:
        """Verify signatures with the secrets in `file` (webhook URL → secret, JSON)."""
        self._get(f"/secrets?file={file}")


@contextmanager
def receivers(ports: int, delay_ms: float) -> Iterator[Receivers]:
    """The receiver process listening on `ports` loopback ports, answering after `delay_ms`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.receivers", str(ports), str(delay_ms)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        listening: list[Any] = json.loads(process.stdout.readline())
        yield Receivers([f"http://127.0.0.1:{port}" for port in listening])
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    import uvloop  # uvicorn's standard extras bring it: the receivers' own loop stays cheap

    uvloop.run(main(int(sys.argv[1]), float(sys.argv[2])))

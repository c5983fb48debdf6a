"""Loopback webhook receivers that verify every signature and misbehave on purpose.

Each request's fate (answer 503, hang past the sender's timeout, or 200 after a short delay)
is drawn from a hash of its webhook-id and how many times that id was seen before, so a run
is reproducible and a retried message is judged afresh.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

TIMED_OUT = -1  # what a hung request is recorded as


@dataclass
class Faults:
    fail_percent: int = 0
    hang_percent: int = 0
    hang_seconds: float = 0.0
    delay_seconds: float = 0.0


@dataclass
class Seen:
    """What the receivers saw; shared by their handler threads."""

    secrets: dict[str, str]
    faults: Faults
    lock: threading.Lock = field(default_factory=threading.Lock)
    # consignee code → notice id → webhook-ids it arrived under
    ids: dict[str, dict[int, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    # webhook-id → what each request under it was answered (TIMED_OUT for a hang)
    answers: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    bad_signatures: list[str] = field(default_factory=list)
    # webhook-id → the verified body it carried
    payloads: dict[str, dict[str, Any]] = field(default_factory=dict)
    gate: threading.Event = field(default_factory=threading.Event)

    @property
    def requests(self) -> int:
        with self.lock:
            return sum(len(answers) for answers in self.answers.values())

    def fate(self, webhook_id: str, attempt: int) -> str:
        digest = hashlib.sha256(f"{webhook_id}:{attempt}".encode()).digest()
        draw = int.from_bytes(digest[:4], "big") % 100
        if draw < self.faults.fail_percent:
            return "fail"
        if draw < self.faults.fail_percent + self.faults.hang_percent:
            return "hang"
        return "ok"


class _Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: Seen

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        body = self.rfile.read(length)
        if len(body) < length:  # the sender died half-way through: nothing was received
            self.close_connection = True
            return
        code = self.path.rsplit("/", 1)[-1]
        seen = self.seen
        seen.gate.wait(120)
        try:
            payload = Webhook(seen.secrets[code]).verify(body, dict(self.headers.items()))
        except (WebhookVerificationError, KeyError) as exc:
            with seen.lock:
                seen.bad_signatures.append(f"{code}: {exc}")

            self._answer(401)
            return
        webhook_id = self.headers["webhook-id"]
        with seen.lock:
            fate = seen.fate(webhook_id, len(seen.answers[webhook_id]))
            seen.ids[code][int(payload["notice_id"])].add(webhook_id)
            seen.payloads[webhook_id] = payload
            seen.answers[webhook_id].append({"fail": 503, "hang": TIMED_OUT, "ok": 200}[fate])
        if fate == "hang":
            time.sleep(seen.faults.hang_seconds)
            self.close_connection = True
            return
        time.sleep(seen.faults.delay_seconds)
        self._answer(503 if fate == "fail" else 200)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many senders connect at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # connections reset by a killed or timed-out sender are expected


@contextmanager
def receivers(
    secrets: dict[str, str], faults: Faults, count: int = 4
) -> Iterator[tuple[Seen, list[str]]]:
    """`count` receivers on loopback; yields what they saw and their base URLs."""
    seen = Seen(secrets=secrets, faults=faults)
    seen.gate.set()
    handler = type("Hook", (_Hook,), {"seen": seen})
    servers = [_Server(("127.0.0.1", 0), handler) for _ in range(count)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield seen, [f"http://127.0.0.1:{server.server_address[1]}/hooks" for server in servers]
    finally:
        seen.gate.set()
        for server in servers:
            server.shutdown()
            server.server_close()

"""A recall executed end to end with a real worker process, a real Redis-compatible server,
webhook receivers that verify signatures and a real SMTP server.

Redis is down when the recall is approved (approval still answers; nothing is lost), the
worker is SIGKILLed in the middle of the fan-out and started again: in the end every notice
is delivered once per webhook-id, every consignee with an address got its mail, a flaky
receiver was retried, and a receiver that answers 410 failed its notice and alerted QA.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from aiosmtpd.controller import Controller
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from recall import db
from recall.clock import today
from recall.embedded import start_redis
from recall.notices import _delivery_schedule
from recall.settings import get_settings
from tests.factories import PASSWORD, headers_for, new_gtin, new_nie
from tests.harness import WorkerProcess, count, free_port, until
from workers import HEARTBEAT_KEY

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RECEIVER_DELAY_SECONDS = 0.3  # slow receivers, so the kill lands in the middle of the fan-out
RECEIVERS = 3
OUTLETS = 20
FLAKY, GONE = "APT-01", "APT-05"  # 503 twice then 200; 410 every time
QA_EMAIL = "qa@plant.example"
WORKER_START_SECONDS = 30
FAN_OUT_SECONDS = 50  # includes arq's lock on the killed worker's jobs (timeout + 10 s)


# Webhook receivers ------------------------------------------------------------------------


class Hooks:
    """What every receiver saw; shared by the servers' handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.secrets: dict[str, str] = {}
        self.ids: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.answered: dict[str, list[int]] = defaultdict(list)
        self.bad_signatures: list[str] = []
        self.script: dict[str, list[int]] = {FLAKY: [503, 503]}
        self.always: dict[str, int] = {GONE: 410}
        # FLAKY and GONE answer only once the gate opens (after the kill), so what they
        # answered is exactly what the surviving worker recorded.
        self.gated = {FLAKY, GONE}
        self.gate = threading.Event()

    @property
    def requests(self) -> int:
        with self.lock:
            return sum(len(statuses) for statuses in self.answered.values())


def client_gone(connection: socket.socket) -> bool:
    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hooks: Hooks

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        code = self.path.rsplit("/", 1)[-1]
        hooks = self.hooks
        if code in hooks.gated:
            hooks.gate.wait(120)
            if client_gone(self.connection):  # the killed worker's request: never answered
                self.close_connection = True
                return
        time.sleep(RECEIVER_DELAY_SECONDS)
        try:
            payload = Webhook(hooks.secrets[code]).verify(body, dict(self.headers.items()))
        except (WebhookVerificationError, KeyError) as exc:
            with hooks.lock:
                hooks.bad_signatures.append(f"{code}: {exc}")
            self.answer(401)
            return
        with hooks.lock:
            hooks.ids[code][int(payload["notice_id"])].add(self.headers["webhook-id"])
            script = hooks.script.get(code, [])
            status = script.pop(0) if script else hooks.always.get(code, 200)
            hooks.answered[code].append(status)
        self.answer(status)

    def answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Receivers(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the killed worker's connections reset: expected here


@pytest.fixture
def hooks() -> Iterator[tuple[Hooks, list[str]]]:
    state = Hooks()
    handler = type("BoundHook", (Hook,), {"hooks": state})
    servers = [Receivers(("127.0.0.1", 0), handler) for _ in range(RECEIVERS)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, [f"http://127.0.0.1:{server.server_address[1]}/hooks" for server in servers]
    state.gate.set()
    for server in servers:
        server.shutdown()
        server.server_close()


# SMTP server ------------------------------------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [message for rcpt, message in self.messages if address in rcpt]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


# The scenario -----------------------------------------------------------------------------


async def distribute(api: httpx.AsyncClient, urls: list[str], hooks: Hooks) -> tuple[int, dict]:
    """Two batches to three PBFs, and from them to twenty outlets; returns the recall id and
    each consignee's addresses."""
    qa = await headers_for("qa")
    gtin = new_gtin()
    made = await api.post(
        "/api/products",
        json={"gtin": gtin, "nie": new_nie(), "name": "Paracetamol Syrup",
              "strength": "120 mg/5 mL", "dosage_form": "syrup"},
        headers=qa,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    batch_ids = []
    for batch_no in ("E2E-B1", "E2E-B2"):
        made = await api.post(
            "/api/batches",
            json={"gtin": gtin, "batch_no": batch_no,
                  "manufactured_on": (today() - timedelta(days=60)).isoformat(),
                  "expires_on": (today() + timedelta(days=700)).isoformat(),
                  "quantity_produced": 10_000},
            headers=qa,
        )  # fmt: skip
        assert made.status_code == 201, made.text
        batch_ids.append(made.json()["id"])
    wholesalers = [f"PBF-{n}" for n in range(1, 4)]
    outlets = [f"APT-{n:02d}" for n in range(OUTLETS)]
    addresses: dict[str, dict[str, str | None]] = {}
    for index, code in enumerate(wholesalers + outlets):
        pbf = code.startswith("PBF")
        kind = index % 4  # outlets: e-mail only, webhook only, or both
        webhook = pbf or kind != 0 or code in (FLAKY, GONE)
        email = pbf or (kind != 1 and code not in (FLAKY, GONE))
        body = {
            "code": code,
            "name": f"{'PBF' if pbf else 'Apotek'} {code}",
            "kind": "pbf" if pbf else "pharmacy",
            "email": f"{code.lower()}@example.com" if email else None,
            "webhook_url": f"{urls[index % len(urls)]}/{code}" if webhook else None,
            "phone": "+62 21 555 0100",
        }
        made = await api.post("/api/consignees", json=body, headers=qa)
        assert made.status_code == 201, made.text
        hooks.secrets[code] = made.json()["webhook_secret"]
        addresses[code] = {"email": body["email"], "webhook_url": body["webhook_url"]}
    shipped_on = (today() - timedelta(days=10)).isoformat()
    shipments = [
        {"gtin": gtin, "batch_no": batch_no, "consignee_code": code, "quantity": 1000,
         "shipped_on": shipped_on}
        for code in wholesalers for batch_no in ("E2E-B1", "E2E-B2")
    ] + [
        {"gtin": gtin, "batch_no": ("E2E-B1", "E2E-B2")[n % 2], "consignee_code": code,
         "quantity": 20, "shipped_on": shipped_on, "from_consignee_code": wholesalers[n % 3]}
        for n, code in enumerate(outlets)
    ]  # fmt: skip
    for shipment in shipments:
        made = await api.post("/api/shipments", json=shipment, headers=qa)
        assert made.status_code == 201, made.text
    proposed = await api.post(
        "/api/recalls",
        json={"batch_ids": batch_ids, "reason": "Diethylene glycol above limit in solvent lot",
              "recall_class": "I", "recall_type": "voluntary", "depth": "retail",
              "profile": "bpom", "health_hazard_assessment": "Acute kidney injury possible."},
        headers=qa,
    )  # fmt: skip
    assert proposed.status_code == 201, proposed.text
    return proposed.json()["id"], addresses


NAMED = "APT-NAMED"


async def cascade(api: httpx.AsyncClient, recall_id: int, urls: list[str], hooks: Hooks) -> int:
    """PBF-1 names a customer of its own that our records did not show (twice, same key);
    returns the notice it got."""
    made = await api.post(
        "/api/consignees",
        json={"code": NAMED, "name": "Apotek Baru", "kind": "pharmacy",
              "email": f"{NAMED.lower()}@example.com", "webhook_url": f"{urls[0]}/{NAMED}"},
        headers=await headers_for("qa"),
    )  # fmt: skip
    assert made.status_code == 201, made.text
    hooks.secrets[NAMED] = made.json()["webhook_secret"]
    pbf = await headers_for("distributor", consignee_code="PBF-1")
    rows = await db.fetch(
        "SELECT n.id AS id FROM notice n JOIN consignee c ON c.id = n.consignee "
        "WHERE n.recall = {} AND c.code = 'PBF-1'",
        recall_id,
    )
    body = {"consignees": [{"code": NAMED, "name": "Apotek Baru", "kind": "pharmacy",
                            "batch_no": "E2E-B1", "quantity": 10}]}  # fmt: skip
    headers = {**pbf, "Idempotency-Key": "e2e-cascade-1"}
    named = await api.post(
        f"/api/notices/{rows[0]['id']}/sub-consignees", json=body, headers=headers
    )
    assert named.status_code == 201, named.text
    again = await api.post(
        f"/api/notices/{rows[0]['id']}/sub-consignees", json=body, headers=headers
    )
    assert again.status_code == 201
    assert again.json() == named.json()
    entry = named.json()["consignees"][0]
    # QA entered the customer first, so it is not PBF-1's own: the answer echoes the request.
    assert (entry["name"], entry["tier"], entry["notice_id"]) == ("Apotek Baru", None, None)
    (notice,) = await db.fetch(
        "SELECT n.id AS id, n.tier AS tier FROM notice n JOIN consignee c ON c.id = n.consignee "
        "WHERE n.recall = {} AND c.code = {}",
        recall_id,
        NAMED,
    )
    assert notice["tier"] == 2
    return int(notice["id"])


@pytest.fixture
def small_chunks(monkeypatch) -> None:
    """Approval (in this process) queues notices five per job, as the worker is set up."""
    settings = get_settings()
    chunked = replace(settings, delivery=replace(settings.delivery, notices_per_job=5))
    monkeypatch.setattr(_delivery_schedule, "get_settings", lambda: chunked)


async def test_a_recall_reaches_everyone_through_redis_outage_and_worker_kill(
    api, hooks, mailbox, private_redis, small_chunks
):
    started = time.monotonic()
    hook_state, urls = hooks
    box, smtp_port = mailbox
    servers, directory = private_redis
    env = {
        **os.environ,
        "RECALL_REDIS_URL": servers[0].url,
        "RECALL_JOB_TIMEOUT_SECONDS": "5",
        "RECALL_RETRY_BASE_SECONDS": "0.2",
        "RECALL_RETRY_MAX_SECONDS": "1",
        "RECALL_DELIVERY_CONCURRENCY": "4",
        "RECALL_NOTICES_PER_JOB": "5",
        "RECALL_SMTP_HOST": "127.0.0.1",
        "RECALL_SMTP_PORT": str(smtp_port),
        "RECALL_SMTP_STARTTLS": "false",
        "RECALL_SMTP_SENDER": "recall@plant.example",
        "RECALL_QA_ALERT_EMAIL": QA_EMAIL,
    }
    worker = WorkerProcess(env, directory / "worker.log")
    recall_id, addresses = await distribute(api, urls, hook_state)
    valkey = redis.from_url(servers[0].url)
    try:
        worker.start()

        async def worker_up() -> bool:
            assert worker.alive(), worker.output()
            try:
                return bool(await valkey.exists(HEARTBEAT_KEY))
            except (redis.ConnectionError, OSError):
                return False

        await until(worker_up, WORKER_START_SECONDS, "the worker to start", worker)

        # Redis goes down under the running worker; the recall is approved meanwhile.
        servers[0].stop()
        approved = await api.post(
            f"/api/recalls/{recall_id}/approve",
            json={"password": PASSWORD, "meaning": "Approved for execution"},
            headers=await headers_for("qa_manager"),
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "in_progress"
        total = await count("SELECT COUNT(*) AS n FROM notice WHERE recall = {}", recall_id)
        assert total == 3 + OUTLETS
        assert await count("SELECT COUNT(*) AS n FROM outbox WHERE relayed_at IS NULL") == 5

        async def outage_noticed() -> bool:
            return "worker lost Redis" in worker.output()

        await until(outage_noticed, 20, "the worker to notice the outage", worker)
        assert worker.alive(), worker.output()
        servers.append(start_redis(directory / "redis", persist=True))

        # Fan-out under way: kill the worker outright in the middle of it.
        async def fan_out_started() -> bool:
            return hook_state.requests >= 5

        await until(fan_out_started, WORKER_START_SECONDS, "the fan-out to start", worker)
        worker.kill()
        delivered = await count(
            "SELECT COUNT(*) AS n FROM delivery WHERE status = 'delivered' AND channel = 'webhook'"
        )
        webhooks = sum(1 for a in addresses.values() if a["webhook_url"])
        assert delivered < webhooks
        hook_state.gate.set()
        worker.start()

        async def finished() -> bool:
            assert worker.alive(), worker.output()
            open_notices = await count(
                "SELECT COUNT(*) AS n FROM notice WHERE recall = {} AND status = 'pending'",
                recall_id,
            )
            return not open_notices and bool(box.to(QA_EMAIL))

        await until(finished, FAN_OUT_SECONDS, "every notice and the QA alert", worker)
        cascaded = await cascade(api, recall_id, urls, hook_state)

        async def cascade_delivered() -> bool:
            assert worker.alive(), worker.output()
            received = bool(hook_state.ids[NAMED]) and bool(box.to(f"{NAMED.lower()}@example.com"))
            # The receivers see it before the worker records it: wait for the record too.
            return (
                received
                and await count(
                    "SELECT COUNT(*) AS n FROM notice WHERE id = {} AND status = 'sent'", cascaded
                )
                == 1
            )

        await until(cascade_delivered, FAN_OUT_SECONDS, "the cascaded notice", worker)
    finally:
        worker.stop()
        await valkey.aclose()

    notices = {
        row["code"]: row
        for row in await db.fetch(
            "SELECT c.code AS code, n.id AS id, n.status AS status FROM notice n "
            "JOIN consignee c ON c.id = n.consignee WHERE n.recall = {}",
            recall_id,
        )
    }
    assert {code: row["status"] for code, row in notices.items() if row["status"] != "sent"} == {
        GONE: "failed"
    }
    message_ids = {
        int(row["notice"]): row["message_id"]
        for row in await db.fetch("SELECT DISTINCT notice, message_id FROM delivery")
    }
    assert not hook_state.bad_signatures
    for code, address in addresses.items():
        notice_id = notices[code]["id"]
        if address["webhook_url"]:
            # One webhook-id per notice, whatever was repeated after the kill.
            assert dict(hook_state.ids[code]) == {notice_id: {message_ids[notice_id]}}, code
        if address["email"]:
            mails = box.to(address["email"])
            assert {mail["Message-ID"] for mail in mails} == {
                f"<{message_ids[notice_id]}@plant.example>"
            }, code
            assert mails[0]["Subject"].startswith("PENARIKAN KEMBALI / RECALL kelas I")
            assert mails[0]["Priority"] == "urgent"

    async def attempts(code: str) -> list[tuple[str, int]]:
        rows = await db.fetch(
            "SELECT a.outcome AS outcome, a.status_code AS status_code FROM delivery_attempt a "
            "JOIN delivery d ON d.id = a.delivery WHERE d.notice = {} AND d.channel = 'webhook' "
            "ORDER BY a.id",
            notices[code]["id"],
        )
        return [(row["outcome"], row["status_code"]) for row in rows]

    assert await attempts(FLAKY) == [("retry", 503), ("retry", 503), ("delivered", 200)]
    assert hook_state.answered[FLAKY] == [503, 503, 200]
    assert await attempts(GONE) == [("failed", 410)]
    assert hook_state.answered[GONE] == [410]

    qa = await headers_for("qa")
    listed = (await api.get("/api/alerts", params={"recall_id": recall_id}, headers=qa)).json()
    assert listed["total"] == 1
    assert GONE in listed["items"][0]["detail"]
    assert GONE in box.to(QA_EMAIL)[0].get_payload(decode=True).decode()
    progress = (await api.get(f"/api/recalls/{recall_id}", headers=qa)).json()
    assert progress["consignees_total"] == 3 + OUTLETS + 1  # with the cascaded one
    assert progress["notified"] == 3 + OUTLETS
    assert dict(hook_state.ids[NAMED]) == {cascaded: {message_ids[cascaded]}}
    assert await count("SELECT COUNT(*) AS n FROM notice WHERE via_notice IS NOT NULL") == 1
    assert await count("SELECT COUNT(*) AS n FROM outbox WHERE done_at IS NULL") == 0
    print(f"\nrecall execution end to end: {time.monotonic() - started:.1f} s")
    if os.environ.get("RECALL_E2E_SHOW_WORKER"):
        print(worker.output())

"""The logs of real processes (`recall serve` under uvicorn, `recall worker`) are JSON lines
with a request id, and hold none of the secrets the requests carried."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from tests.factories import PASSWORD, make_consignee, make_user
from tests.harness import ROOT, WorkerProcess, free_port
from tests.pages.helpers import csrf_token

pytestmark = pytest.mark.slow

DEEP = 60_000
CRASH_PASSWORD = "S3cretPassw0rd!"
REQUEST_ID = "e2e-logs-request-0001"


class Server:
    """`recall serve` as a child process, stdout and stderr kept in one file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "recall.cli", "serve", "--log-level", "info"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, url: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture
def processes(tmp_path):
    port = free_port()
    env = {**os.environ, "RECALL_HOST": "127.0.0.1", "RECALL_PORT": str(port)}
    server = Server(env, tmp_path / "serve.log")
    worker = WorkerProcess(env, tmp_path / "worker.log")
    worker.start()
    try:
        url = f"http://127.0.0.1:{port}"
        server.wait_ready(url)
        yield url, server, worker
    finally:
        server.stop()
        worker.stop()


async def test_the_logs_hold_no_secret_and_every_line_is_json(processes):
    url, server, worker = processes
    used: dict[str, str] = {"password": PASSWORD, "crash password": CRASH_PASSWORD}
    admin = await make_user("admin", username="logadmin")
    await make_user("qa", username="logqa")
    consignee = await make_consignee("LOG-PBF")

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        # A sign-in body nested 60,000 levels used to crash the server with the password in
        # the traceback's local variables.
        deep = (
            b'{"username":"logadmin","password":"'
            + CRASH_PASSWORD.encode()
            + b'","x":'
            + b"[" * DEEP
            + b"]" * DEEP
            + b"}"
        )
        crashed = await client.post(
            "/api/auth/login", content=deep, headers={"Content-Type": "application/json"}
        )
        assert crashed.status_code == 400
        wrong = await client.post(
            "/api/auth/login",
            json={"username": "logadmin", "password": "Wr0ng-" + CRASH_PASSWORD},
            headers={"X-Request-ID": REQUEST_ID},
        )
        assert wrong.status_code == 401
        assert wrong.headers["x-request-id"] == REQUEST_ID
        used["wrong password"] = "Wr0ng-" + CRASH_PASSWORD

        login = await client.post(
            "/api/auth/login", json={"username": admin.username, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        token = login.json()["token"]
        used["bearer token"] = token
        bearer = {"Authorization": f"Bearer {token}"}

        created = await client.post(
            "/api/consignees",
            json={
                "code": "LOG-HOOK",
                "name": "PT Hook",
                "kind": "pbf",
                "webhook_url": "https://hooks.example.com/recall",
            },
            headers=bearer,
        )
        assert created.status_code == 201, created.text
        used["webhook secret"] = created.json()["webhook_secret"]

        minted = await client.post(f"/api/consignees/{consignee.id}/api-keys", headers=bearer)
        assert minted.status_code in (200, 201), minted.text
        api_key = minted.json()["key"]
        used["api key"] = api_key
        notices = await client.get("/api/notices", headers={"Authorization": f"Bearer {api_key}"})
        assert notices.status_code == 200, notices.text
        bad_key = "rk_" + secrets.token_urlsafe(24)
        used["unknown api key"] = bad_key
        refused = await client.get("/api/notices", headers={"Authorization": f"Bearer {bad_key}"})
        assert refused.status_code == 401
        query_secret = secrets.token_urlsafe(16)
        used["query token"] = query_secret
        await client.get(
            f"/api/complaints?token={query_secret}&api_key={query_secret}", headers=bearer
        )

        portal_token = secrets.token_urlsafe(32)
        used["portal token"] = portal_token
        await client.get(f"/portal/notices/{portal_token}")
        await client.post(f"/portal/notices/{portal_token}/acknowledge", data={"name": "x"})

        form = await client.get("/login")
        signed_in = await client.post(
            "/login",
            data={
                "username": "logqa",
                "password": PASSWORD,
                "next": "/",
                "_csrf_token": csrf_token(form.text),
            },
        )
        assert signed_in.status_code in (302, 303)
        session = client.cookies.get("recall_session")
        assert session
        used["session cookie"] = session
        used["csrf cookie"] = client.cookies.get("recall_csrf") or "never-set-csrf"
        page = await client.get("/complaints")
        assert page.status_code == 200

    time.sleep(1.5)  # the worker's own lines (jobs, heartbeat) for the requests above
    server.stop()
    worker.stop()
    logs = {"serve": server.log.read_text(), "worker": worker.output()}

    by_request: dict[str, list[dict]] = defaultdict(list)
    for name, text in logs.items():
        assert text.strip(), f"{name} wrote nothing"
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                raise AssertionError(f"{name} wrote a line that is not JSON: {line!r}") from None
            assert {"event", "level", "timestamp", "logger"} <= entry.keys(), line
            if "request_id" in entry:
                by_request[entry["request_id"]].append(entry)
        for what, secret in used.items():
            assert secret not in text, f"the {what} is in the {name} log"

    serve_lines = [json.loads(line) for line in logs["serve"].splitlines() if line.strip()]
    access = [entry for entry in serve_lines if entry["event"] == "request"]
    assert len(access) >= 10
    assert all(entry.get("request_id") for entry in access)
    assert any(entry["path"] == "/portal/notices/<redacted>" for entry in access)
    assert not any("?" in entry["path"] for entry in access)
    # The refused sign-in and its access line carry the request id the client sent.
    mine = by_request[REQUEST_ID]
    assert {entry["event"] for entry in mine} >= {"refused", "request"}, mine

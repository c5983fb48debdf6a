"""`recall serve` as deployed: a client on 127.0.0.1 forging X-Forwarded-For on every sign-in
attempt is still throttled, unless RECALL_TRUSTED_PROXIES names the peer as a proxy."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from recall.settings import get_settings
from tests.harness import ROOT, forget_sign_in_counts, free_port, wait_until_healthy

LIMIT = get_settings().login_attempts_per_minute


@contextmanager
def served(tmp_path: Path, **env: str) -> Iterator[str]:
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "recall.cli", "serve", "--log-level", "warning"],
            cwd=ROOT,
            env={**os.environ, "RECALL_HOST": "127.0.0.1", "RECALL_PORT": str(port), **env},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, url, log)
        yield url
    finally:
        process.terminate()
        process.wait(20)


async def attempts(url: str, username: str, forwarded: list[str]) -> list[int]:
    async with httpx.AsyncClient(base_url=url, timeout=20) as client:
        statuses = []
        for address in forwarded:
            response = await client.post(
                "/api/auth/login",
                json={"username": username, "password": "wrong"},
                headers={"X-Forwarded-For": address},
            )
            statuses.append(response.status_code)
        return statuses


async def test_forged_forwarded_for_does_not_escape_the_throttle(tmp_path):
    await forget_sign_in_counts()  # left by earlier tests from 127.0.0.1
    with served(tmp_path) as url:
        # Different usernames each time: only the per-address limit can stop this.
        forged = [f"10.{i // 250}.{i % 250}.1" for i in range(10 * LIMIT + 1)]
        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            statuses = [
                (
                    await client.post(
                        "/api/auth/login",
                        json={"username": f"guess{i}", "password": "wrong"},
                        headers={"X-Forwarded-For": address},
                    )
                ).status_code
                for i, address in enumerate(forged)
            ]
            assert statuses[-1] == 429, statuses
            assert set(statuses[:-1]) == {401}
            assert (
                "retry-after"
                in (
                    await client.post("/api/auth/login", json={"username": "x", "password": "y"})
                ).headers
            )
    await forget_sign_in_counts()


async def test_a_trusted_proxy_passes_the_client_address_on(tmp_path):
    await forget_sign_in_counts()
    with served(tmp_path, RECALL_TRUSTED_PROXIES="127.0.0.1/32") as url:
        first = await attempts(url, "someone", [f"203.0.113.{i}" for i in range(1, 4)])
        assert first == [401, 401, 401]
        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            # Each forwarded address has its own count: one client is blocked, the next is not.
            for _ in range(10 * LIMIT):
                await client.post(
                    "/api/auth/login",
                    json={"username": f"u{time.monotonic_ns()}", "password": "wrong"},
                    headers={"X-Forwarded-For": "198.51.100.7"},
                )
            blocked = await client.post(
                "/api/auth/login",
                json={"username": "z", "password": "wrong"},
                headers={"X-Forwarded-For": "198.51.100.7"},
            )
            assert blocked.status_code == 429
            other = await client.post(
                "/api/auth/login",
                json={"username": "z", "password": "wrong"},
                headers={"X-Forwarded-For": "198.51.100.8"},
            )
            assert other.status_code == 401
    await forget_sign_in_counts()

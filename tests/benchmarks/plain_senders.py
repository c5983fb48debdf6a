"""The fan-out baseline: hand-written webhook senders that share no code with the product.

Each sends one signed POST per consignee to the consignee's own webhook URL, the body of
the size the service's notices had, signed with the consignee's secret by the
`standardwebhooks` library. Like `recall worker`, it runs as PROCESSES processes on uvloop,
each with at most CONCURRENCY requests in flight, over keep-alive connections; each
process sends every PROCESSES-th consignee. Two of them, reported apart:

- `httpx`: one `httpx.AsyncClient` per receiving host (host and port) in each process;
- `aiohttp`: one `aiohttp.ClientSession` per process.

Nothing from `recall`, `web` or `workers` is imported: a faster product sender cannot move
the baseline. `plain_fanout` runs the processes and answers the wall time from the first
process's first request to the last process's last answer.

One process: `python -m tests.benchmarks.plain_senders KIND SECRETS_FILE INDEX PROCESSES
BODY_BYTES`, where SECRETS_FILE holds a JSON object of webhook URL → secret; it prints the
wall-clock start and end of its sending as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from standardwebhooks import Webhook

# settings.delivery.concurrency, mirrored: requests in flight per worker process.
CONCURRENCY = int(os.environ.get("RECALL_DELIVERY_CONCURRENCY", "500"))
TIMEOUT_SECONDS = 10.0  # settings.delivery.webhook_timeout_seconds, mirrored
ROOT = Path(__file__).resolve().parents[2]
KINDS = ("httpx", "aiohttp")

# Sends one POST (url, body, headers) and answers its status code.
Post = Callable[[str, bytes, dict[str, str]], Awaitable[int]]


def signed_headers(secret: str, message_id: str, body: bytes) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
    }


async def send_all(post: Post, share: list[tuple[str, str]], body: bytes) -> None:
    """POST `body` to every (url, secret) of `share`, at most CONCURRENCY at a time."""
    limit = asyncio.Semaphore(CONCURRENCY)

    async def send(n: int, url: str, secret: str) -> None:
        async with limit:
            message_id = f"plain-{os.getpid()}-{n}"
            status = await post(url, body, signed_headers(secret, message_id, body))
            assert status == 204, f"{url} answered {status}"

    await asyncio.gather(*(send(n, url, secret) for n, (url, secret) in enumerate(share)))


async def send_with_httpx(share: list[tuple[str, str]], body: bytes) -> None:
    import httpx

    # One client per receiving host: httpcore scans its whole pool for every request, and
    # one client of 500 connections here stalls until connects time out.
    clients: dict[str, httpx.AsyncClient] = {}
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=CONCURRENCY)
    verify = ssl.create_default_context()  # loading the CA bundle once, not per client

    async def post(url: str, content: bytes, headers: dict[str, str]) -> int:
        origin = url[: url.index("/", len("http://"))]
        client = clients.get(origin)
        if client is None:
            client = clients[origin] = httpx.AsyncClient(
                limits=limits, timeout=TIMEOUT_SECONDS, verify=verify
            )
        return (await client.post(url, content=content, headers=headers)).status_code

    try:
        await send_all(post, share, body)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients.values()))


async def send_with_aiohttp(share: list[tuple[str, str]], body: bytes) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=CONCURRENCY, limit_per_host=0)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def post(url: str, content: bytes, headers: dict[str, str]) -> int:
            async with session.post(url, data=content, headers=headers) as answer:
                await answer.read()
                return answer.status

        await send_all(post, share, body)


SENDERS = {"httpx": send_with_httpx, "aiohttp": send_with_aiohttp}


def body_of(size: int) -> bytes:
    """A JSON body of `size` bytes (at least 12)."""
    return json.dumps({"text": "x" * max(0, size - 12)}).encode()


async def timed_share(kind: str, share: list[tuple[str, str]], body: bytes) -> tuple[float, float]:
    started = time.time()
    await SENDERS[kind](share, body)
    return started, time.time()


def plain_fanout(kind: str, secrets_file: Path, processes: int, body_bytes: int) -> float:
    """Seconds `processes` plain `kind` processes take to send to every consignee in
    `secrets_file`, from the first one starting to the last one done."""
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.plain_senders", kind, str(secrets_file),
             str(index), str(processes), str(body_bytes)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for index in range(processes)
    ]  # fmt: skip
    spans = []
    for process in running:
        output, _ = process.communicate(timeout=900)
        if process.returncode != 0:
            raise SystemExit(f"plain {kind} sender failed (exit {process.returncode})")
        spans.append(json.loads(output.splitlines()[-1]))
    return max(end for _, end in spans) - min(start for start, _ in spans)


def main() -> None:
    import uvloop

    kind, secrets_file, index, processes, body_bytes = sys.argv[1:6]
    by_url: dict[str, str] = json.loads(Path(secrets_file).read_text())
    share = list(by_url.items())[int(index) :: int(processes)]
    span = uvloop.run(timed_share(kind, share, body_of(int(body_bytes))))
    print(json.dumps(span), flush=True)


if __name__ == "__main__":
    main()

"""A load generator for the intake benchmark: keep-alive HTTP/1.1 connections, each sending
one POST after another for a fixed time; latency of every answer.

Written on plain asyncio streams (with uvloop) so that it costs a fraction of what the server
under test costs: an httpx client would be slower than the endpoints it measures. Run as
`python -m tests.benchmarks.load URL SECONDS CONNECTIONS < plan.json`, where the plan is
`{"bodies": [JSON, ...], "headers": [["name: value", ...], ...]}`: connection i sends the
headers at i modulo their count (one signed-in user per connection), and every request, on
whichever connection, carries the next body in turn. Prints one JSON line: requests,
seconds, rps, p50_ms, p99_ms, failures (answers other than 201).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

WARM_UP_SECONDS = 2.0


def requests(url: str, headers: list[str], bodies: list[bytes]) -> list[bytes]:
    """One connection's ready-made requests, one per body."""
    parts = urlsplit(url)
    head = [f"POST {parts.path} HTTP/1.1", f"host: {parts.netloc}",
            "content-type: application/json", *headers]  # fmt: skip
    return [
        ("\r\n".join([*head, f"content-length: {len(body)}"]) + "\r\n\r\n").encode() + body
        for body in bodies
    ]


async def connection(
    address: tuple[str, int],
    prepared: list[bytes],
    turns: Iterator[int],
    until: float,
    measure_from: float,
    latencies: list[float],
) -> int:
    """Send the next request over one connection until `until`; the number of failures."""
    reader, writer = await asyncio.open_connection(*address)
    failures = 0
    try:
        while (started := time.perf_counter()) < until:
            writer.write(prepared[next(turns) % len(prepared)])
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if started >= measure_from:
                latencies.append(time.perf_counter() - started)
                failures += status != 201
    finally:
        writer.close()
    return failures


async def main(url: str, seconds: float, connections: int) -> None:
    plan = json.load(sys.stdin)
    bodies = [json.dumps(body).encode() for body in plan["bodies"]]
    header_sets: list[list[str]] = plan.get("headers") or [[]]
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    turns = itertools.count()  # shared: consecutive requests carry consecutive bodies
    latencies: list[float] = []
    measure_from = time.perf_counter() + WARM_UP_SECONDS
    until = measure_from + seconds
    failures = sum(
        await asyncio.gather(
            *(
                connection(address, requests(url, header_sets[n % len(header_sets)], bodies),
                           turns, until, measure_from, latencies)
                for n in range(connections)
            )
        )
    )  # fmt: skip
    latencies.sort()
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "seconds": seconds,
                "rps": round(len(latencies) / seconds, 1),
                "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
                "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
                "failures": failures,
            }
        )
    )


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3])))

"""A load generator for the intake benchmark: keep-alive HTTP/1.1 connections, each sending
one POST after another for a fixed time; latency of every answer.

Written on plain asyncio streams (with uvloop) so that it costs a fraction of what the server
under test costs: an httpx client would be slower than the endpoints it measures. Run as
`python -m tests.benchmarks.load URL SECONDS CONNECTIONS [HEADER: VALUE ...] < body`; prints
one JSON line: requests, seconds, rps, p50_ms, p99_ms, failures (answers other than 201).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

WARM_UP_SECONDS = 2.0


async def connection(
    host: str, port: int, request: bytes, until: float, measure_from: float, latencies: list[float]
) -> int:
    """Send the request over one connection until `until`; the number of failed answers."""
    reader, writer = await asyncio.open_connection(host, port)
    failures = 0
    try:
        while (started := time.perf_counter()) < until:
            writer.write(request)
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


async def main(url: str, seconds: float, connections: int, headers: list[str]) -> None:
    body = sys.stdin.buffer.read()
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = [f"POST {parts.path} HTTP/1.1", f"host: {host}:{port}",
            "content-type: application/json", f"content-length: {len(body)}", *headers]  # fmt: skip
    request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
    latencies: list[float] = []
    measure_from = time.perf_counter() + WARM_UP_SECONDS
    until = measure_from + seconds
    failures = sum(
        await asyncio.gather(
            *(connection(host, port, request, until, measure_from, latencies)
              for _ in range(connections))
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

    uvloop.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]))

"""Webhook receivers for the fan-out benchmark: one process listening on many loopback
ports, answering every POST with 204 after a fixed delay (a consignee's server at work).

Keep-alive HTTP/1.1 on plain asyncio streams, so the receivers cost little next to what
they measure. `GET /stats` on any port answers with what arrived so far: requests, distinct
webhook-ids, bytes of body. Run as `python -m tests.benchmarks.receivers PORTS DELAY_MS`;
it prints the ports it listens on as one JSON line, then serves until terminated.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections import Counter

NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


class Receivers:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.ids: Counter[str] = Counter()
        self.body_bytes = 0

    def stats(self) -> bytes:
        body = json.dumps(
            {
                "requests": sum(self.ids.values()),
                "ids": len(self.ids),
                "repeated": sum(1 for count in self.ids.values() if count > 1),
                "body_bytes": self.body_bytes,
            }
        ).encode()
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
                if length:
                    await reader.readexactly(length)
                if request_line.startswith("GET /stats"):
                    writer.write(self.stats())
                    continue
                self.ids[headers.get("webhook-id", "")] += 1
                self.body_bytes += length
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
    receivers = Receivers(delay_ms / 1000)
    listeners = _bound_sockets(ports)
    for listener in listeners:
        await asyncio.start_server(receivers.serve, sock=listener)
    print(json.dumps([listener.getsockname()[1] for listener in listeners]), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    import uvloop  # uvicorn's standard extras bring it: the receivers' own loop stays cheap

    uvloop.run(main(int(sys.argv[1]), float(sys.argv[2])))

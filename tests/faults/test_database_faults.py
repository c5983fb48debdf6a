"""PostgreSQL connections dropped under load: answers are 503 with a clear body, never a
hang or a 500, and the API recovers by itself once the database is reachable again."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from tests.conftest import SERVER_DATABASE_URL, TEST_DATABASE
from tests.factories import complaint_body, headers_for
from tests.servers import with_database

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not SERVER_DATABASE_URL, reason="drops PostgreSQL server connections"),
]

LOAD_SECONDS = 4
ANSWER_WITHIN_SECONDS = 15
CLIENTS = 8


async def terminate_backends(stop: asyncio.Event) -> int:
    """Kill every other connection to the test database, again and again; how many."""
    admin = await asyncpg.connect(with_database(SERVER_DATABASE_URL, "postgres"))
    killed = 0
    try:
        while not stop.is_set():
            rows = await admin.fetch(
                "SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                TEST_DATABASE,
            )
            killed += sum(1 for row in rows if row["gone"])
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    return killed


async def test_dropped_connections_give_503_then_the_api_recovers(client):
    qa, cs = await headers_for("qa"), await headers_for("cs")
    answers: list[tuple[int, dict]] = []
    stop = asyncio.Event()

    async def use_the_api(number: int) -> None:
        while not stop.is_set():
            if number % 2:
                call = client.post("/api/complaints", json=complaint_body(), headers=cs)
            else:
                call = client.get("/api/complaints", headers=qa)
            response = await asyncio.wait_for(call, ANSWER_WITHIN_SECONDS)
            answers.append((response.status_code, response.json()))

    killer = asyncio.create_task(terminate_backends(stop))
    users = [asyncio.create_task(use_the_api(n)) for n in range(CLIENTS)]
    await asyncio.sleep(LOAD_SECONDS)
    stop.set()
    await asyncio.gather(*users)
    killed = await killer
    assert killed > 0

    statuses = {status for status, _ in answers}
    assert statuses <= {200, 201, 503}, [a for a in answers if a[0] not in (200, 201, 503)][:3]
    unavailable = [body for status, body in answers if status == 503]
    assert unavailable, "no request met a dropped connection"
    assert all(
        body == {"status_code": 503, "detail": unavailable[0]["detail"]} for body in unavailable
    )
    assert "database" in unavailable[0]["detail"]

    # Back to normal without a restart: the pool replaces the dropped connections.
    deadline = time.monotonic() + 10
    while True:
        response = await asyncio.wait_for(
            client.get("/api/complaints", headers=qa), ANSWER_WITHIN_SECONDS
        )
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert response.status_code == 200
    # Every pooled connection came back: more writes at once than the pool holds all finish.
    calls = [client.post("/api/complaints", json=complaint_body(), headers=cs) for _ in range(30)]
    logged = await asyncio.wait_for(asyncio.gather(*calls), ANSWER_WITHIN_SECONDS)
    assert {response.status_code for response in logged} == {201}

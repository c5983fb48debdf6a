"""Scratch space on shared servers, for the suite and the benchmarks: a uniquely named
PostgreSQL database, and an empty Redis DB index claimed so parallel runs do not collide."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database `name`."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def admin_execute(server_url: str, statement: str) -> None:
    """One statement on the server's `postgres` database (CREATE/DROP DATABASE)."""
    import asyncpg

    connection = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def claim_redis_db(url: str, run_id: str) -> str:
    """Claim an empty DB index on a shared Redis (from 15 down); its URL."""
    import redis.asyncio as redis

    for index in range(15, 0, -1):
        candidate = with_database(url, str(index))
        client = redis.from_url(candidate)
        try:
            claimed = await client.set("recall:test-run", run_id, nx=True, ex=3600)
            if claimed and await client.dbsize() == 1:
                return candidate
            if claimed:
                await client.delete("recall:test-run")
        finally:
            await client.aclose()
    raise RuntimeError("no free Redis DB index for the run")


def release_redis_db(url: str) -> None:
    """Empty a claimed DB index, which frees it for the next run."""
    import redis

    client = redis.from_url(url)
    client.flushdb()
    client.close()

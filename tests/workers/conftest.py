"""Fixtures of the worker tests: an arq queue on the suite's Redis, emptied around each test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest_asyncio
import redis.asyncio as redis
from arq.connections import ArqRedis, create_pool

from workers import redis_settings


@pytest_asyncio.fixture
async def queue() -> AsyncIterator[ArqRedis]:
    url = os.environ["RECALL_REDIS_URL"]
    # Jobs other tests queued (and never ran) must not be taken for this test's rows.
    await forget_jobs(url)
    pool = await create_pool(redis_settings(url))
    yield pool
    await pool.aclose()
    await forget_jobs(url)


async def forget_jobs(url: str) -> None:
    store = redis.from_url(url)
    stale = [key async for key in store.scan_iter(match="arq:*")]
    if stale:
        await store.delete(*stale)
    await store.aclose()

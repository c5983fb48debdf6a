"""Handing the outbox to arq right after a request committed background work."""

from __future__ import annotations

import logging
from typing import Any

from arq.connections import ArqRedis
from litestar import Request
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from recall import outbox

log = logging.getLogger(__name__)


def job_queue(redis_url: str) -> ArqRedis:
    """arq's client over a lazy pool: the app starts even while Redis is down."""
    return ArqRedis(ConnectionPool.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5))


async def kick(request: Request[Any, Any, Any]) -> None:
    """After the response: relay what the request wrote to the outbox.

    If Redis is unreachable nothing is lost; the worker's sweep relays it later.
    """
    try:
        await outbox.relay(request.app.state.redis)
    except (RedisError, OSError) as exc:
        log.warning("outbox relay postponed to the worker's sweep: %s", exc)

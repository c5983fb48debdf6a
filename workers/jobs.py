"""Job functions: each a few lines that call into `recall/`."""

from __future__ import annotations

from typing import Any

from recall import clock

HEARTBEAT_KEY = "recall:worker:heartbeat"
HEARTBEAT_TTL_SECONDS = 300


async def heartbeat(ctx: dict[str, Any]) -> str:
    """Write the time of the latest run, so operators can see a worker is alive."""
    stamp = clock.now().isoformat()
    await ctx["redis"].set(HEARTBEAT_KEY, stamp, ex=HEARTBEAT_TTL_SECONDS)
    return stamp

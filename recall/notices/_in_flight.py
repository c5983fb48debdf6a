"""The bound on messages in flight in one worker process, shared by all its jobs: when it
is reached, a waiting message of a more urgent recall is let through first."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class InFlightLimit:
    """At most `size` holders at once; waiters are served by priority (higher first), then
    in the order they came."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrival = itertools.count()

    @asynccontextmanager
    async def slot(self, priority: int = 0) -> AsyncIterator[None]:
        await self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, priority: int) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (-priority, next(self._arrival), granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # handed a slot just as it was cancelled: pass it on
            raise

    def _release(self) -> None:
        while self._waiting:
            _, _, waiter = heapq.heappop(self._waiting)
            if not waiter.done():  # a cancelled waiter is skipped
                waiter.set_result(None)  # the slot passes straight to the waiter
                return
        self._free += 1


_limits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, InFlightLimit] = (
    weakref.WeakKeyDictionary()
)


def shared_limit(size: int) -> InFlightLimit:
    """The process's limit (one per event loop), shared by all jobs."""
    loop = asyncio.get_running_loop()
    limit = _limits.get(loop)
    if limit is None:
        limit = _limits[loop] = InFlightLimit(size)
    return limit

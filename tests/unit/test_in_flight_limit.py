"""The worker's bound on messages in flight lets a more urgent recall's message through first."""

from __future__ import annotations

import asyncio

from recall.notices import InFlightLimit


async def test_waiters_go_by_priority_then_in_the_order_they_came():
    limit = InFlightLimit(1)
    order: list[str] = []
    release = asyncio.Event()

    async def holder() -> None:
        async with limit.slot(0):
            await release.wait()

    async def send(name: str, priority: int) -> None:
        async with limit.slot(priority):
            order.append(name)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting = [
        asyncio.create_task(send(name, priority))
        for name, priority in (("III-a", 0), ("I-a", 2), ("II", 1), ("III-b", 0), ("I-b", 2))
    ]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *waiting)
    assert order == ["I-a", "I-b", "II", "III-a", "III-b"]


async def test_a_cancelled_waiter_does_not_keep_a_slot():
    limit = InFlightLimit(1)
    release = asyncio.Event()

    async def holder() -> None:
        async with limit.slot():
            await release.wait()

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    given_up = asyncio.create_task(holder())
    await asyncio.sleep(0)
    given_up.cancel()
    release.set()
    await asyncio.gather(first, given_up, return_exceptions=True)
    async with asyncio.timeout(1), limit.slot():  # the slot came back: not waited for
        pass

"""Opening a recall's notices: all of them in the approval, or for a national recall the
tier-1 notices in the approval and the rest right after it, in chunks.

Why: one transaction opening 435,010 notices (ten times the national scale) would hold the
recall's row, the audit chain and a vast write set for a minute, and the manager's signature
would wait for all of it. The approval commits instead: the signature, the deadlines, every
tier-1 notice (the wholesalers who must stop distribution first) and the intent to open the
rest (an outbox row, so nothing can lose it). When `approve` answers 200 the recall's scope is
fixed: its planned total is on the recall and every tier-1 notice exists. A worker job then
opens the rest in chunks of their own transactions, each queueing its deliveries at once, and
can stop and resume at any point: it opens only consignees without a notice. Until the last
chunk is in, no deadline counts as met by progress and the recall cannot be amended or closed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from recall import audit, clock, db, masterdata, notices, outbox
from recall.actors import SYSTEM
from recall.errors import Conflict
from recall.recalls._models import plan_notices

OPEN_NOTICES_JOB = "open_notices"
# Up to this many notices open in the approval itself (a regional recall stays one step).
OPEN_AT_APPROVAL = 5_000
# Notices per chunk opened after the approval: each chunk is one short transaction.
CHUNK = 5_000
PLAN_IN_THREAD_FROM = 20_000  # consignee lines


async def trace_plan(depth: str, batch_ids: Sequence[int]) -> list[notices.PlannedNotice]:
    """One planned notice per consignee the batches reach within the depth (every tier)."""
    reached = await masterdata.reach_of_batches(list(batch_ids))
    if len(reached) < PLAN_IN_THREAD_FROM:
        return plan_notices(depth, reached)
    # Seconds of work for a national scope: off the event loop, so a worker's sends go on.
    return await asyncio.to_thread(plan_notices, depth, reached)


async def open_at_approval(
    recall_id: int,
    recall_class: str,
    planned: Sequence[notices.PlannedNotice],
    approved_at: datetime,
) -> list[int]:
    """Inside the approval's transaction: open every notice, or for more than
    OPEN_AT_APPROVAL the tier-1 notices and queue the rest; the new notice ids."""
    now_open = (
        list(planned) if len(planned) <= OPEN_AT_APPROVAL else [p for p in planned if p.tier == 1]
    )
    created = await notices.create_notices(recall_id, now_open, approved_at)
    all_open = len(now_open) == len(planned)
    await db.fetch(
        "UPDATE recall SET notices_planned = {}, notices_opened_at = {} WHERE id = {}",
        len(planned),
        approved_at if all_open else None,
        recall_id,
    )
    if not all_open:
        await outbox.add(
            OPEN_NOTICES_JOB, {"recall_id": recall_id}, priority=notices.priority_of(recall_class)
        )
    return created


async def open_remaining_notices(
    recall_id: int,
    budget_seconds: float,
    after_each_chunk: Callable[[], Awaitable[Any]] | None = None,
) -> bool:
    """Open the notices the approval left for later, chunk by chunk, for about
    `budget_seconds`; True once every planned notice is open (or the recall is closed)."""
    rows = await db.fetch(
        "SELECT depth, status, notices_opened_at FROM recall WHERE id = {}", recall_id
    )
    if not rows or rows[0]["notices_opened_at"] is not None:
        return True
    started = time.monotonic()
    batch_ids = [
        int(row["batch"])
        for row in await db.fetch("SELECT batch FROM recall_batch WHERE recall = {}", recall_id)
    ]
    planned = await trace_plan(rows[0]["depth"], batch_ids)
    opened = await notices.reached_consignees(recall_id)
    waiting = [p for p in planned if p.consignee_id not in opened]
    while waiting:
        chunk, waiting = waiting[:CHUNK], waiting[CHUNK:]
        await _open_chunk(recall_id, chunk, last=not waiting)
        if after_each_chunk is not None:
            await after_each_chunk()
        if waiting and time.monotonic() - started > budget_seconds:
            return False
    if not planned:
        await _open_chunk(recall_id, [], last=True)
    await db.refresh_statistics("notice", "notice_line")
    return True


async def _open_chunk(recall_id: int, chunk: list[notices.PlannedNotice], *, last: bool) -> None:
    async with db.transaction():
        # The recall's row lock orders this chunk with late distribution records, which may
        # open a notice for the same consignee (whichever commits first opens it).
        await db.fetch("SELECT id FROM recall WHERE id = {}" + db.for_update(), recall_id)
        now = clock.now()
        created = await notices.create_notices(recall_id, chunk, now, skip_opened=True)
        await notices.schedule_deliveries(created)
        if last:
            await db.fetch("UPDATE recall SET notices_opened_at = {} WHERE id = {}", now, recall_id)
        await audit.record(
            SYSTEM,
            audit.Change(
                "recall",
                recall_id,
                "notices_opened",
                new={"notices": len(created), "last": last},
            ),
        )


def refuse_while_opening(row: Mapping[str, Any], doing: str) -> None:
    """An approved recall whose notices are still being opened cannot be `doing` yet."""
    if row["approved_at"] is not None and row["notices_opened_at"] is None:
        raise Conflict(
            f"recall {row['reference']} is still opening its notices "
            f"({row['notices_planned']} planned); it can be {doing} once they are all out, "
            "in a minute or two"
        )

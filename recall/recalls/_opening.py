"""Opening a recall's notices: all of them in the approval, or for a national recall the
tier-1 notices in the approval and the rest right after it, in chunks.

Why: one transaction opening 435,010 notices (ten times the national scale) would hold the
recall's row, the audit chain and a vast write set for a minute, and the manager's signature
would wait for all of it. The approval commits instead: the signature, the deadlines, every
tier-1 notice (the wholesalers who must stop distribution first) and the intent to open the
rest (an outbox row, so nothing can lose it). When `approve` answers 200 the recall's scope is
fixed: its planned total is on the recall and every tier-1 notice exists. The database
works the plan out and stages it (see _plan), so no process holds the national scope; a
worker job then opens the rest in chunks of their own transactions, each queueing its
deliveries at once and taking its notices off the staged plan, so it can stop and resume at
any point. Until the last
chunk is in, no deadline counts as met by progress and the recall cannot be amended or closed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from recall import audit, clock, db, notices, outbox
from recall.actors import SYSTEM
from recall.errors import Conflict
from recall.recalls._plan import stage_plan, staged_notices, unstage

OPEN_NOTICES_JOB = "open_notices"
# Up to this many notices open in the approval itself (a regional recall stays one step).
OPEN_AT_APPROVAL = 5_000
# Notices per chunk opened after the approval: each chunk is one short transaction.
CHUNK = 5_000


async def open_at_approval(
    recall_id: int, recall_class: str, depth: str, batch_ids: Sequence[int], approved_at: datetime
) -> tuple[int, list[int]]:
    """Inside the approval's transaction: plan the notices (staged by the database), open
    every one of them or, for more than OPEN_AT_APPROVAL, the tier-1 notices and queue the
    rest; how many are planned, and the new notice ids."""
    planned = await stage_plan(recall_id, depth, batch_ids)
    all_open = planned <= OPEN_AT_APPROVAL
    now_open = await staged_notices(
        recall_id, most=OPEN_AT_APPROVAL if all_open else planned, tier_one_only=not all_open
    )
    created = await notices.create_notices(recall_id, now_open, approved_at)
    await unstage(recall_id, now_open)
    await db.fetch(
        "UPDATE recall SET notices_planned = {}, notices_opened_at = {} WHERE id = {}",
        planned,
        approved_at if all_open else None,
        recall_id,
    )
    if not all_open:
        await outbox.add(
            OPEN_NOTICES_JOB, {"recall_id": recall_id}, priority=notices.priority_of(recall_class)
        )
    return planned, created


async def open_remaining_notices(
    recall_id: int,
    budget_seconds: float,
    after_each_chunk: Callable[[], Awaitable[Any]] | None = None,
) -> bool:
    """Open the notices the approval staged for later, chunk by chunk, for about
    `budget_seconds`; True once every planned notice is open (or the recall is closed)."""
    started = time.monotonic()
    opened_up_to = 0  # consignee ids at or below it are open (the plan is read in id order)
    while True:
        rows = await db.fetch("SELECT notices_opened_at FROM recall WHERE id = {}", recall_id)
        if not rows or rows[0]["notices_opened_at"] is not None:
            return True
        opened_up_to = await _open_chunk(recall_id, opened_up_to)
        if opened_up_to < 0:
            await db.refresh_statistics("notice", "notice_line")
            return True
        if after_each_chunk is not None:
            await after_each_chunk()
        if time.monotonic() - started > budget_seconds:
            return False


async def _open_chunk(recall_id: int, after: int) -> int:
    """Open the next CHUNK staged notices after consignee `after` in one transaction; the
    last consignee opened, or -1 once none are left."""
    async with db.transaction():
        # The recall's row lock orders this chunk with late distribution records, which may
        # open a notice for the same consignee (whichever commits first opens it), and keeps
        # two workers from opening the same chunk.
        await db.fetch("SELECT id FROM recall WHERE id = {}" + db.for_update(), recall_id)
        chunk = await staged_notices(recall_id, most=CHUNK, after=after)
        now = clock.now()
        created = await notices.create_notices(recall_id, chunk, now, skip_opened=True)
        await unstage(recall_id, chunk)
        await notices.schedule_deliveries(created)
        last = len(chunk) < CHUNK or not await staged_notices(
            recall_id, most=1, after=chunk[-1].consignee_id
        )
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
    return -1 if last else chunk[-1].consignee_id


def refuse_while_opening(row: Mapping[str, Any], doing: str) -> None:
    """An approved recall whose notices are still being opened cannot be `doing` yet."""
    if row["approved_at"] is not None and row["notices_opened_at"] is None:
        raise Conflict(
            f"recall {row['reference']} is still opening its notices "
            f"({row['notices_planned']} planned); it can be {doing} once they are all out, "
            "in a minute or two"
        )

"""Notices of a running recall whose scope grew: batches added by a scope amendment, or
distribution records entered after approval. New consignees get their notice; consignees
already reached get the new lines and an update message ("recall.update").
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from recall import audit, db
from recall.actors import Actor
from recall.notices._delivery_schedule import Message, schedule
from recall.notices._models import PlannedNotice
from recall.notices._service import create_notices, insert_lines


@dataclass(frozen=True)
class NoticesExtended:
    """What growing a recall's scope did to its notices."""

    created: tuple[int, ...] = ()  # notices of consignees reached for the first time
    # Notice → batch ids added to it (the consignee was sent an update).
    lines_added: dict[int, tuple[int, ...]] = field(default_factory=dict)
    # Notice → batch ids whose quantity distributed changed (recomputed from the shipments).
    lines_recounted: dict[int, tuple[int, ...]] = field(default_factory=dict)


async def extend_notices(
    actor: Actor,
    recall_id: int,
    planned: Sequence[PlannedNotice],
    at: datetime,
    *,
    reason: str,
    amendment: int | None = None,
    consignees: Collection[int] | None = None,
) -> NoticesExtended:
    """Bring the recall's notices up to `planned` (a plan over the added batches); run inside
    the causing transaction.

    A consignee without a notice gets one (reached by `amendment`, when given), queued like
    the approval's. A consignee with one gets the lines it lacks (with `amendment` and
    `added_at` = `at`) and an update message, its n-th, whose webhook-id is new; a line it has
    takes the planned quantity (so running this twice changes nothing). `consignees` limits
    the change to those consignees. Each changed notice is audited with `reason`. The caller
    holds the recall's row locked, so two changes of one recall do not both create a notice.
    """
    if not db.in_transaction():
        raise RuntimeError("extend_notices must run inside the causing transaction")
    wanted = [
        notice for notice in planned if consignees is None or notice.consignee_id in consignees
    ]
    if not wanted:
        return NoticesExtended()
    found = await db.fetch_in(
        "SELECT id, consignee, tier FROM notice WHERE consignee IN (*) AND recall = {}",
        sorted({notice.consignee_id for notice in wanted}),
        recall_id,
    )
    existing = {int(row["consignee"]): (int(row["id"]), int(row["tier"])) for row in found}
    fresh = [notice for notice in wanted if notice.consignee_id not in existing]
    created = await create_notices(recall_id, fresh, at, amendment=amendment) if fresh else []
    lines = await db.fetch_in(
        "SELECT id, notice, batch, quantity_distributed FROM notice_line WHERE notice IN (*)",
        sorted(notice_id for notice_id, _ in existing.values()),
    )
    have = {(int(row["notice"]), int(row["batch"])): row for row in lines}
    adds: list[tuple[int, int, int, int, int]] = []
    added: dict[int, list[int]] = {}
    recounted: dict[int, list[int]] = {}
    for notice in wanted:
        if notice.consignee_id not in existing:
            continue
        notice_id, tier = existing[notice.consignee_id]
        for line in notice.lines:
            row = have.get((notice_id, line.batch_id))
            if row is None:
                adds.append((notice_id, recall_id, tier, line.batch_id, line.quantity_distributed))
                added.setdefault(notice_id, []).append(line.batch_id)
            elif int(row["quantity_distributed"]) != line.quantity_distributed:
                await db.execute(
                    "UPDATE notice_line SET quantity_distributed = {} WHERE id = {}",
                    line.quantity_distributed,
                    row["id"],
                )
                recounted.setdefault(notice_id, []).append(line.batch_id)
    await insert_lines(adds, amendment, at)
    numbers = await _count_updates(sorted(added))
    await schedule(created)
    await schedule(sorted(numbers), Message.UPDATE, numbers, at=at)
    await audit.record(
        actor,
        *[
            audit.Change(
                "notice",
                notice_id,
                "lines_added" if notice_id in added else "lines_recounted",
                new={
                    "batches_added": sorted(added.get(notice_id, [])),
                    "batches_recounted": sorted(recounted.get(notice_id, [])),
                    "amendment": amendment,
                    "update": numbers.get(notice_id),
                },
                reason=reason,
            )
            for notice_id in sorted({*added, *recounted})
        ],
    )
    return NoticesExtended(
        created=tuple(created),
        lines_added={notice_id: tuple(sorted(ids)) for notice_id, ids in added.items()},
        lines_recounted={notice_id: tuple(sorted(ids)) for notice_id, ids in recounted.items()},
    )


async def _count_updates(notice_ids: list[int]) -> dict[int, int]:
    """Move each notice's update count on; notice → the number of its new update."""
    if not notice_ids:
        return {}
    rows = await db.fetch_in(
        "UPDATE notice SET updates_sent = updates_sent + 1, version = version + 1 "
        "WHERE id IN (*) RETURNING id, updates_sent",
        notice_ids,
    )
    return {int(row["id"]): int(row["updates_sent"]) for row in rows}


async def reached_consignees(
    recall_id: int, consignee_ids: Sequence[int] | None = None
) -> set[int]:
    """Which of these consignees (None: all) already have a notice of the recall."""
    if consignee_ids is None:
        rows = await db.fetch("SELECT consignee FROM notice WHERE recall = {}", recall_id)
        return {int(row["consignee"]) for row in rows}
    rows = await db.fetch_in(
        "SELECT consignee FROM notice WHERE consignee IN (*) AND recall = {}",
        sorted(set(consignee_ids)),
        recall_id,
    )
    return {int(row["consignee"]) for row in rows}

"""Distribution records entered after a recall's approval: the consignees they reach within
the recall's depth get the notice (or the notice line), like everyone reached at approval."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from recall import audit, clock, db, notices
from recall.actors import SYSTEM
from recall.recalls._models import RecallStatus
from recall.recalls._plan import trace_plan
from recall.rules import is_valid_id


async def reach_late_shipments(shipment_ids: Sequence[int]) -> int:
    """Reach the consignees of shipments recorded after approval of a recall of their batch.

    For each running recall (not a drill) covering a shipment's batch, the consignee it went
    to, if within the depth, gets a notice (sent like the approval's), or the line it lacks
    and an update message, or its line's quantity recounted from the shipments. Safe to run
    again: what is already there is left as it is. Audited per recall, naming the shipments.
    Returns the notices created or changed.
    """
    ids = sorted({int(i) for i in shipment_ids if is_valid_id(int(i))})
    if not ids:
        return 0
    shipments = await db.fetch_in(
        "SELECT id, batch, consignee FROM shipment WHERE id IN (*) ORDER BY id", ids
    )
    if not shipments:
        return 0
    covering = await db.fetch_in(
        "SELECT rb.recall AS recall, rb.batch AS batch FROM recall_batch rb "
        "JOIN recall r ON r.id = rb.recall WHERE rb.batch IN (*) AND r.status = {} "
        "AND r.drill = {} ORDER BY rb.recall, rb.batch",
        sorted({int(row["batch"]) for row in shipments}),
        RecallStatus.IN_PROGRESS.value,
        False,
    )
    by_recall: dict[int, set[int]] = {}
    for row in covering:
        by_recall.setdefault(int(row["recall"]), set()).add(int(row["batch"]))
    changed = 0
    for recall_id, batch_ids in sorted(by_recall.items()):
        concerned = [row for row in shipments if int(row["batch"]) in batch_ids]
        changed += await _reach(recall_id, concerned)
    return changed


async def _reach(recall_id: int, rows: Sequence[Mapping[str, Any]]) -> int:
    batch_ids = sorted({int(row["batch"]) for row in rows})
    receivers = {int(row["consignee"]) for row in rows}
    shipment_ids = sorted(int(row["id"]) for row in rows)
    named = ", ".join(str(i) for i in shipment_ids)
    reason = f"late distribution record: shipment {named}"
    async with db.transaction():
        recall = await db.fetch(
            "SELECT depth, status FROM recall WHERE id = {}" + db.for_update(), recall_id
        )
        if not recall or recall[0]["status"] != RecallStatus.IN_PROGRESS.value:
            return 0  # closed meanwhile
        planned = await trace_plan(recall[0]["depth"], batch_ids)
        extended = await notices.extend_notices(
            SYSTEM, recall_id, planned, clock.now(), reason=reason, consignees=receivers
        )
        touched = {*extended.created, *extended.lines_added, *extended.lines_recounted}
        if touched:
            await audit.record(
                SYSTEM,
                audit.Change(
                    "recall",
                    recall_id,
                    "late_shipments_reached",
                    new={
                        "shipment_ids": shipment_ids,
                        "notices_created": list(extended.created),
                        "notices_updated": sorted(extended.lines_added),
                        "lines_recounted": sorted(extended.lines_recounted),
                    },
                    reason=reason,
                ),
            )
    return len(touched)

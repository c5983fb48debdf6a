"""Readiness figures every recall reports (drills above all): time to trace, time to notify."""

from __future__ import annotations

from datetime import datetime

from recall import db


async def readiness(
    recall_id: int, approved_at: datetime | None, trace_ms: int | None
) -> tuple[float | None, float | None]:
    """Seconds to trace (building the consignee list at approval) and to notify.

    Time to notify runs from approval to the last notice's delivery, once every notice of
    the recall is delivered; None before that (and for a recall without notices).
    """
    to_trace = None if trace_ms is None else trace_ms / 1000
    if approved_at is None:
        return to_trace, None
    rows = await db.fetch(
        "SELECT COUNT(*) AS total, COUNT(notified_at) AS notified, MAX(notified_at) AS last "
        "FROM notice WHERE recall = {}",
        recall_id,
    )
    counts = rows[0]
    if int(counts["total"]) == 0 or int(counts["notified"]) < int(counts["total"]):
        return to_trace, None
    return to_trace, (db.as_utc(counts["last"]) - approved_at).total_seconds()

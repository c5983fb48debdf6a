"""Readiness figures every recall reports (drills above all): time to trace, time to notify."""

from __future__ import annotations

from datetime import datetime

from recall.notices import Progress


def readiness(
    trace_ms: int | None, approved_at: datetime | None, progress: Progress
) -> tuple[float | None, float | None]:
    """Seconds to trace (building the consignee list at approval) and to notify.

    Time to notify runs from approval to the last notice's delivery, once every notice of
    the recall is delivered; None before that (and for a recall without notices).
    """
    to_trace = None if trace_ms is None else trace_ms / 1000
    delivered = progress.last_notified_at
    if approved_at is None or delivered is None:
        return to_trace, None
    return to_trace, (delivered - approved_at).total_seconds()

"""A batch's status: released for sale, on hold while QA looks at it, or recalled.

A hold is QA's decision, taken and lifted with a reason; a recall's approval sets its batches
recalled (`recall_batches`, inside the approval's transaction). Shipments of a held or
recalled batch dated on or after the hold's day are refused (`shipment_refused`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from recall import audit, clock, db
from recall.actors import Actor
from recall.errors import Conflict, RecallError
from recall.masterdata._models import Batch, BatchStatus
from recall.masterdata._service import get_batch
from recall.rules import required_text
from recall.settings import get_settings

REASON_MAX = 2000
# The outbox job that reaches the consignees of shipments recorded after a recall's approval.
LATE_SHIPMENTS_JOB = "reach_late_shipments"

_REFUSED = {
    BatchStatus.ON_HOLD: "batch {batch_no} is on hold since {day}: no shipment from that day on",
    BatchStatus.RECALLED: "batch {batch_no} is recalled since {day}: no shipment from that day on",
}


def plant_day(moment: datetime) -> date:
    """The plant's calendar day at `moment` (its configured time zone)."""
    return moment.astimezone(ZoneInfo(get_settings().time_zone)).date()


def held_on(held_at: datetime | None) -> date | None:
    """The plant day a hold began, or None for a batch never held."""
    return plant_day(held_at) if held_at is not None else None


def refusal(batch_no: str, status: str, day: date | None) -> str:
    """Why a shipment of a held or recalled batch is refused, naming the batch and the day."""
    return _REFUSED[BatchStatus(status)].format(
        batch_no=batch_no, day=day.isoformat() if day else "?"
    )


async def _change(
    actor: Actor,
    batch_id: int,
    reason: str | None,
    *,
    action: str,
    to: BatchStatus,
    allowed_from: BatchStatus,
) -> Batch:
    reason = required_text(reason, "reason", REASON_MAX)
    batch = await get_batch(batch_id)
    if batch.status != allowed_from:
        raise Conflict(_not_now(batch, to))
    now = clock.now()
    held_at = now if to == BatchStatus.ON_HOLD else None
    async with db.transaction():
        changed = await db.fetch(
            "UPDATE batch SET status = {}, held_at = {}, status_reason = {} "
            "WHERE id = {} AND status = {} RETURNING id",
            to.value,
            held_at,
            reason,
            batch.id,
            allowed_from.value,
        )
        if not changed:
            raise Conflict(f"batch {batch.batch_no} changed status meanwhile; look again")
        old = {"status": batch.status, "held_at": _iso(batch.held_at)}
        new = {"status": to.value, "held_at": _iso(held_at), "reason": reason}
        await audit.record(actor, audit.Change("batch", batch.id, action, old, new, reason))
    return await get_batch(batch.id)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _not_now(batch: Batch, to: BatchStatus) -> str:
    if batch.status == BatchStatus.RECALLED:
        return f"batch {batch.batch_no} is recalled; only closing its recall could release it"
    if to == BatchStatus.ON_HOLD:
        return f"batch {batch.batch_no} is already on hold"
    return f"batch {batch.batch_no} is released, not on hold"


async def hold_batch(actor: Actor, batch_id: int, reason: str | None) -> Batch:
    """Put a released batch on hold: shipments dated from today on are refused. Audited."""
    return await _change(
        actor, batch_id, reason, action="held", to=BatchStatus.ON_HOLD,
        allowed_from=BatchStatus.RELEASED,
    )  # fmt: skip


async def release_batch(actor: Actor, batch_id: int, reason: str | None) -> Batch:
    """Lift the hold of a batch on hold (a recalled batch stays recalled). Audited."""
    return await _change(
        actor, batch_id, reason, action="released", to=BatchStatus.RELEASED,
        allowed_from=BatchStatus.ON_HOLD,
    )  # fmt: skip


async def recall_batches(
    actor: Actor, batch_ids: Sequence[int], at: datetime, reference: str
) -> int:
    """Mark the batches of the recall `reference`, approved `at`, recalled; inside the
    approval's transaction. A batch on hold keeps the day its hold began; one already
    recalled is left as it is. Audited per batch; returns how many changed."""
    if not db.in_transaction():
        raise RuntimeError("batches are recalled inside the approving transaction")
    rows = await db.fetch_in(
        "SELECT id, status, held_at FROM batch WHERE id IN (*) ORDER BY id" + db.for_update(),
        sorted(set(batch_ids)),
    )
    reason = f"recall {reference} approved"
    changing = [row for row in rows if row["status"] != BatchStatus.RECALLED]
    held = [int(row["id"]) for row in changing if row["status"] == BatchStatus.ON_HOLD]
    released = [int(row["id"]) for row in changing if row["status"] != BatchStatus.ON_HOLD]
    recalled = BatchStatus.RECALLED.value
    if held:  # stopped since their hold began: held_at is kept
        await db.fetch_in(
            "UPDATE batch SET status = {}, status_reason = {} WHERE id IN (*)",
            held, recalled, reason,
        )  # fmt: skip
    if released:
        await db.fetch_in(
            "UPDATE batch SET status = {}, held_at = {}, status_reason = {} WHERE id IN (*)",
            released, recalled, at, reason,
        )  # fmt: skip
    changes = [
        audit.Change(
            "batch",
            int(row["id"]),
            "recalled",
            {"status": row["status"], "held_at": _iso(_held_at(row))},
            {"status": recalled, "held_at": _recalled_since(row, at).isoformat()},
            reason,
        )
        for row in changing
    ]
    if changes:
        await audit.record(actor, *changes)
    return len(changes)


def _held_at(row: Mapping[str, Any]) -> datetime | None:
    return db.as_utc(row["held_at"]) if row["held_at"] else None


def _recalled_since(row: Mapping[str, Any], at: datetime) -> datetime:
    """A batch already on hold was stopped from its hold's start; any other from `at`."""
    held_at = _held_at(row)
    return held_at if row["status"] == BatchStatus.ON_HOLD and held_at is not None else at


def refused_error(detail: str) -> RecallError:
    """The 409 a refused shipment answers, naming the batch_no field as a 422 names its own."""
    return Conflict(f"batch_no: {detail}", field="batch_no")

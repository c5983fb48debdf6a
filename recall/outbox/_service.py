"""Writing background work in the causing transaction, and relaying it to the job queue."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any, Protocol

from recall import clock, db

log = logging.getLogger(__name__)

# A relayed row not done after this long is handed over again (the queue drops the repeat
# while the job is still queued or running, so only lost jobs run again).
STALE_AFTER = timedelta(minutes=2)
RELAY_BATCH = 1000
# The queue runs jobs in order of their due time; a higher priority's job is queued as due
# this much earlier per step, so it goes before everything a lower one has waiting (arq
# keeps a job this long past its due time, so the lead stays well under a day).
PRIORITY_LEAD = timedelta(hours=1)


class Priority(IntEnum):
    """Which work goes first when the workers are busy."""

    ROUTINE = 0  # class III recalls and work of no recall
    HIGH = 1  # class II recalls
    URGENT = 2  # class I recalls, alerts to QA


class JobQueue(Protocol):
    """Where relayed work goes: arq's pool (ArqRedis) in the app and the worker fits as is.

    Enqueueing a job id that is still queued or running is a no-op.
    """

    async def enqueue_job(
        self,
        function: str,
        *args: Any,
        _job_id: str | None = None,
        _defer_until: datetime | None = None,
    ) -> Any: ...


def job_id(outbox_id: int) -> str:
    """The queue's job id for an outbox row: a row is never queued twice at once."""
    return f"outbox:{outbox_id}"


async def add(
    job: str,
    payload: dict[str, Any],
    available_at: datetime | None = None,
    priority: Priority = Priority.ROUTINE,
) -> int:
    """Write a job to run after the current transaction commits; returns the outbox id."""
    if not db.in_transaction():
        raise RuntimeError("outbox rows must be written inside the causing transaction")
    now = clock.now()
    rows = await db.fetch(
        "INSERT INTO outbox (job, payload, created_at, available_at, relays, priority) "
        "VALUES ({}, {}, {}, {}, 0, {}) RETURNING id",
        job,
        json.dumps(payload, separators=(",", ":")),
        now,
        available_at or now,
        int(priority),
    )
    return int(rows[0]["id"])


async def payload(outbox_id: int) -> dict[str, Any] | None:
    """The arguments of a row still to do; None once done or unknown (a repeat to ignore)."""
    rows = await db.fetch("SELECT payload FROM outbox WHERE id = {} AND done_at IS NULL", outbox_id)
    return json.loads(rows[0]["payload"]) if rows else None


async def mark_done(outbox_id: int) -> None:
    await db.fetch("UPDATE outbox SET done_at = {} WHERE id = {}", clock.now(), outbox_id)


async def relay(queue: JobQueue) -> int:
    """Hand every due row to the queue; returns how many were handed over.

    Runs right after a commit (the kick) and from the worker's cron sweep, so a queue that
    was down when the work was written gets it once it is back.
    """
    now = clock.now()
    handed = 0
    while True:
        rows = await db.fetch(
            "SELECT id, job, priority FROM outbox WHERE done_at IS NULL AND available_at <= {} "
            "AND (relayed_at IS NULL OR relayed_at < {}) ORDER BY priority DESC, id LIMIT {}",
            now,
            now - STALE_AFTER,
            RELAY_BATCH,
        )
        if not rows:
            return handed
        relayed: list[int] = []
        try:
            for row in rows:
                await queue.enqueue_job(
                    row["job"],
                    int(row["id"]),
                    _job_id=job_id(int(row["id"])),
                    _defer_until=_queued_as_due(Priority(row["priority"])),
                )
                relayed.append(int(row["id"]))
        finally:
            if relayed:
                await db.fetch_in(
                    "UPDATE outbox SET relayed_at = {}, relays = relays + 1 WHERE id IN (*)",
                    relayed,
                    now,
                )
        handed += len(relayed)
        if len(rows) < RELAY_BATCH:
            return handed


def _queued_as_due(priority: Priority) -> datetime | None:
    """The due time the queue orders a job by: the queue's own clock (not the domain's,
    which tests move), earlier by the priority's lead; None for routine work (due now)."""
    if priority is Priority.ROUTINE:
        return None
    return datetime.now(UTC) - PRIORITY_LEAD * int(priority)


async def pending() -> int:
    """Rows not yet done (for /ready and the dashboard)."""
    rows = await db.fetch("SELECT COUNT(*) AS n FROM outbox WHERE done_at IS NULL")
    return int(rows[0]["n"])

"""Job functions: each a few lines that call into `recall/`."""

from __future__ import annotations

import asyncio
from typing import Any

from arq import Retry

from recall import audit, clock, complaints, exports, masterdata, notices, outbox, recalls
from recall.settings import get_settings

HEARTBEAT_KEY = "recall:worker:heartbeat"
HEARTBEAT_TTL_SECONDS = 300
# An opening run stops well inside the job's time limit; the next run traces the scope again.
OPENING_BUDGET_SHARE = 0.75


async def heartbeat(ctx: dict[str, Any]) -> str:
    """Write the time of the latest run, so operators can see a worker is alive."""
    stamp = clock.now().isoformat()
    await ctx["redis"].set(HEARTBEAT_KEY, stamp, ex=HEARTBEAT_TTL_SECONDS)
    return stamp


async def deliver_notices(ctx: dict[str, Any], outbox_id: int) -> None:
    """Send one chunk of notices; come back when its earliest retry is due."""
    wait = await notices.deliver(outbox_id, ctx["sender"])
    if wait is not None:
        raise Retry(defer=wait)


async def reach_late_shipments(ctx: dict[str, Any], outbox_id: int) -> None:
    """Reach the consignees of shipments recorded after their batch's recall was approved."""
    job = await outbox.payload(outbox_id)
    if job is not None:
        await recalls.reach_late_shipments(job.get("shipment_ids", []))
        await outbox.mark_done(outbox_id)
        await outbox.relay(ctx["redis"])


async def open_notices(ctx: dict[str, Any], outbox_id: int) -> None:
    """Open the notices a national recall's approval left for later, chunk by chunk, each
    chunk's deliveries handed to the queue as soon as it commits."""
    job = await outbox.payload(outbox_id)
    if job is None:
        return
    budget = get_settings().delivery.job_timeout_seconds * OPENING_BUDGET_SHARE
    done = await recalls.open_remaining_notices(
        job["recall_id"], budget, after_each_chunk=lambda: outbox.relay(ctx["redis"])
    )
    if not done:
        raise Retry(defer=0)  # the rest in the next run: no run outlasts the job's time limit
    await outbox.mark_done(outbox_id)


async def mail_alert(ctx: dict[str, Any], outbox_id: int) -> None:
    """Mail one alert to QA."""
    wait = await notices.mail_alert(outbox_id, ctx["sender"], ctx.get("job_try", 1))
    if wait is not None:
        raise Retry(defer=wait)


async def import_shipment_file(ctx: dict[str, Any], outbox_id: int) -> None:
    """Import one uploaded shipments file, and queue the late shipments it recorded."""
    job = await outbox.payload(outbox_id)
    if job is not None:
        await masterdata.run_uploaded_import(job["import_id"])
        await outbox.mark_done(outbox_id)
        await outbox.relay(ctx["redis"])


async def make_export(ctx: dict[str, Any], outbox_id: int) -> None:
    """Make one asked-for document (a table or a report) into its file."""
    job = await outbox.payload(outbox_id)
    if job is not None:
        await exports.make_export(job["export_id"])
        await outbox.mark_done(outbox_id)


async def remove_expired_exports(ctx: dict[str, Any]) -> int:
    """Remove the files of exports past their retention."""
    return await exports.remove_expired()


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """Hand the outbox's due rows to the queue (catches up after a Redis outage)."""
    return await outbox.relay(ctx["redis"])


async def follow_up(ctx: dict[str, Any]) -> dict[str, int]:
    """Remind non-responders, escalate passed deadlines to QA, and queue what that wrote."""
    reminded = await notices.send_due_reminders()
    escalated = await recalls.escalate_passed_deadlines()
    await outbox.relay(ctx["redis"])
    return {"reminded": reminded, "escalated": escalated}


async def file_status_reports(ctx: dict[str, Any]) -> int:
    """File every periodic status report that has come due."""
    return await recalls.file_due_status_reports()


async def alert_due_obligations(ctx: dict[str, Any]) -> int:
    """Alert QA once about each complaint report to an authority due within a day."""
    return await complaints.alert_due_obligations()


AUDIT_FULL_CHECK = "audit_full_check"


async def verify_audit_trail(ctx: dict[str, Any]) -> str:
    """Start the nightly re-hash of the whole audit chain; the audit page shows its result.

    It runs beside the jobs rather than as one: at ten million entries it outlasts a job's
    timeout, and a job with a longer timeout would keep a killed worker's jobs locked as long.
    """
    running = ctx.get(AUDIT_FULL_CHECK)
    if running is not None and not running.done():
        return "already running"
    ctx[AUDIT_FULL_CHECK] = asyncio.create_task(audit.verify(full=True))
    return "started"

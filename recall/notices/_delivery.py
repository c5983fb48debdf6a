"""Deliveries of notices and reminders: one per notice, channel and message, queued in chunks
and sent by the worker (signed webhook, e-mail), every attempt logged.

The parts: queueing (_delivery_schedule), sending (_delivery_send), recording outcomes
(_delivery_attempts); the QA alert mail is in _alert_mail.
"""

from __future__ import annotations

from recall import audit, clock, db, outbox
from recall.actors import SYSTEM
from recall.notices._delivery_attempts import _record, _remaining
from recall.notices._delivery_send import Sender, _due, _Result, _send_all
from recall.notices._in_flight import InFlightLimit, shared_limit
from recall.settings import get_settings


async def deliver(
    outbox_id: int, sender: Sender, *, limit: InFlightLimit | None = None
) -> float | None:
    """Send the chunk of deliveries of outbox row `outbox_id` that are due; record outcomes.

    Safe to run again at any time: only deliveries not recorded as finished are sent, with
    the same webhook-id and Message-ID. Returns the seconds until the earliest retry is
    due, or None once every delivery of the chunk is finished (the row is then done).
    """
    job = await outbox.payload(outbox_id)
    if job is None:
        return None
    settings = get_settings()
    delivery_ids = sorted({int(value) for value in job.get("delivery_ids", [])})
    if not delivery_ids:
        await outbox.mark_done(outbox_id)
        return None
    due = await _due(delivery_ids, clock.now())
    results: list[_Result] = []
    if due:
        limit = limit or shared_limit(settings.delivery.concurrency)
        results = await _send_all(due, sender, limit, settings)
    async with db.transaction():
        sent = await _record(results, settings)
        wait = await _remaining(outbox_id, delivery_ids)
        # Last: the audit chain's tip stays locked from the append until the commit.
        await audit.record(SYSTEM, *sent)
        return wait

"""Sending due deliveries (signed webhook, e-mail) within the job's time budget, with a
bound on messages in flight; how an answer and a failure count."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from enum import StrEnum
from typing import Any, Protocol

from standardwebhooks import Webhook

from recall import clock, db, masterdata
from recall.notices import _links as links
from recall.notices import _messages as messages
from recall.notices._delivery_schedule import (
    Channel,
    DeliveryStatus,
    Message,
    priority_of,
)
from recall.notices._in_flight import InFlightLimit
from recall.notices._service import RESPOND_BY
from recall.settings import Settings

# The logger name the delivery log lines had before the split, so log filters still match.
log = logging.getLogger("recall.notices._delivery")

# Share of the job's time limit spent sending; the rest records the outcomes. Sends still
# in flight then are cancelled, left pending and retried at once (same webhook-id).
SEND_BUDGET_SHARE = 0.7
MAX_BACKOFF_DOUBLINGS = 60


class DeliveryError(Exception):
    """A message could not be handed over: `retryable` when trying again later may work."""

    def __init__(self, detail: str, *, retryable: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable


class Sender(Protocol):
    """How messages leave the system; the worker plugs in httpx and aiosmtplib.

    `post` returns the HTTP status and raises DeliveryError on timeouts and connection
    errors; `mail` raises DeliveryError (SMTP 4xx retryable, 5xx not).
    """

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int: ...

    async def mail(self, message: EmailMessage) -> None: ...


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


def retry_delay(
    attempt: int, base: float, cap: float, uniform: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): full jitter.

    A uniform draw from 0 to base * 2**(attempt - 1), capped at `cap`, so many retrying
    deliveries spread out instead of hitting a recovering server together.
    """
    doublings = min(max(attempt - 1, 0), MAX_BACKOFF_DOUBLINGS)
    return uniform() * min(cap, base * 2.0**doublings)


def webhook_outcome(status_code: int) -> Outcome:
    """2xx delivered; 408, 429 and 5xx worth another try; any other answer is final."""
    if 200 <= status_code < 300:
        return Outcome.DELIVERED
    if status_code in (408, 429) or status_code >= 500:
        return Outcome.RETRY
    return Outcome.FAILED


@dataclass(frozen=True)
class _Due:
    """A pending delivery whose time has come, with everything needed to send it."""

    id: int
    notice_id: int
    recall_id: int
    channel: str
    attempts: int
    consignee_code: str
    phone: str | None
    webhook_url: str | None
    webhook_secret: str | None
    email: str | None
    notification: messages.Notification


@dataclass(frozen=True)
class _Result:
    due: _Due
    outcome: Outcome
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


_DUE_SQL = (
    "SELECT d.id AS id, d.notice AS notice, d.channel AS channel, d.message AS message, "
    "d.sequence AS sequence, d.message_id AS message_id, d.attempts AS attempts, "
    "d.created_at AS created_at, "
    "n.recall AS recall, n.token_sealed AS token_sealed, c.code AS code, "
    "c.name AS consignee_name, "
    "c.phone AS phone, c.email AS email, c.webhook_url AS webhook_url, "
    "c.webhook_secret AS webhook_secret, r.reference AS reference, "
    "r.recall_class AS recall_class, r.reason AS reason, r.depth AS depth, r.drill AS drill, "
    f"{RESPOND_BY} AS respond_by "
    "FROM delivery d JOIN notice n ON n.id = d.notice JOIN consignee c ON c.id = n.consignee "
    "JOIN recall r ON r.id = n.recall "
)


async def _due(delivery_ids: list[int], now: datetime) -> list[_Due]:
    rows = await db.fetch_in(
        _DUE_SQL + "WHERE d.id IN (*) AND d.status = {} AND d.next_attempt_at <= {} ORDER BY d.id",
        delivery_ids,
        DeliveryStatus.PENDING.value,
        now,
    )
    if not rows:
        return []
    batches = await _batches(sorted({int(row["recall"]) for row in rows}))
    added = await _added_batches(
        [row for row in rows if row["message"] == Message.UPDATE.value], batches
    )
    # A consignee's secret is opened once per chunk, however many of its messages are due.
    secrets: dict[str, str] = {}

    def secret(sealed: str | None) -> str | None:
        if not sealed:
            return None
        if sealed not in secrets:
            secrets[sealed] = masterdata.open_webhook_secret(sealed)
        return secrets[sealed]

    return [
        _Due(
            id=int(row["id"]),
            notice_id=int(row["notice"]),
            recall_id=int(row["recall"]),
            channel=row["channel"],
            attempts=int(row["attempts"]),
            consignee_code=row["code"],
            phone=row["phone"],
            webhook_url=row["webhook_url"],
            webhook_secret=secret(row["webhook_secret"]),
            email=row["email"],
            notification=messages.Notification(
                message_id=row["message_id"],
                message=row["message"],
                sequence=int(row["sequence"]),
                notice_id=int(row["notice"]),
                token=links.open_token(row["token_sealed"]),
                consignee_name=row["consignee_name"],
                reference=row["reference"],
                recall_class=row["recall_class"],
                reason=row["reason"],
                depth=row["depth"],
                drill=bool(row["drill"]),
                batches=batches.get(int(row["recall"]), ()),
                respond_by=db.as_utc(row["respond_by"]),
                added_batches=added.get(int(row["id"]), ()),
            ),
        )
        for row in rows
    ]


async def _added_batches(
    updates: list[Mapping[str, Any]], batches: dict[int, tuple[masterdata.BatchView, ...]]
) -> dict[int, tuple[masterdata.BatchView, ...]]:
    """Per update delivery, the batches it announces: the notice's lines added at the moment
    the update was queued (both carry that time)."""
    if not updates:
        return {}
    lines = await db.fetch_in(
        "SELECT notice, batch, added_at FROM notice_line WHERE notice IN (*) "
        "AND added_at IS NOT NULL",
        sorted({int(row["notice"]) for row in updates}),
    )
    added: dict[int, tuple[masterdata.BatchView, ...]] = {}
    for row in updates:
        queued_at = db.as_utc(row["created_at"])
        ids = {
            int(line["batch"])
            for line in lines
            if int(line["notice"]) == int(row["notice"])
            and db.as_utc(line["added_at"]) == queued_at
        }
        known = batches.get(int(row["recall"]), ())
        added[int(row["id"])] = tuple(b for b in known if b.id in ids)
    return added


async def _batches(recall_ids: list[int]) -> dict[int, tuple[masterdata.BatchView, ...]]:
    found: dict[int, list[masterdata.BatchView]] = {}
    for row in await db.fetch_in(
        f"SELECT rb.recall AS recall, {masterdata.BATCH_VIEW_COLUMNS}, p.strength AS strength "
        "FROM recall_batch rb JOIN batch b ON b.id = rb.batch JOIN product p ON p.id = b.product "
        "WHERE rb.recall IN (*) ORDER BY b.batch_no, b.id",
        recall_ids,
    ):
        # A notice names each product with its strength.
        product_name = f"{row['product_name']} {row['strength']}".strip()
        view = replace(masterdata.batch_view(row), product_name=product_name)
        found.setdefault(int(row["recall"]), []).append(view)
    return {recall_id: tuple(lines) for recall_id, lines in found.items()}


async def _send_all(
    due: list[_Due], sender: Sender, limit: InFlightLimit, settings: Settings
) -> list[_Result]:
    cut_off: list[_Result] = []
    tasks = [asyncio.create_task(_send(item, sender, limit, settings, cut_off)) for item in due]
    try:
        done, _ = await asyncio.wait(
            tasks, timeout=settings.delivery.job_timeout_seconds * SEND_BUDGET_SHARE
        )
    finally:
        # Out of time, or the job itself was cancelled: sends not started stay pending as
        # they were; sends already on the wire are logged as attempts cut off (cut_off).
        unfinished = [task for task in tasks if not task.done()]
        for task in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.gather(*unfinished, return_exceptions=True)
    finished = [task.result() for task in tasks if task in done and not task.cancelled()]
    return finished + cut_off


async def _send(
    item: _Due,
    sender: Sender,
    limit: InFlightLimit,
    settings: Settings,
    cut_off: list[_Result],
) -> _Result:
    async with limit.slot(priority_of(item.notification.recall_class)):
        attempted_at = clock.now()
        started = time.perf_counter()
        status_code: int | None = None
        try:
            if item.channel == Channel.WEBHOOK.value:
                status_code = await _post(item, sender, settings)
                outcome = webhook_outcome(status_code)
                error = None if outcome is Outcome.DELIVERED else f"HTTP {status_code}"
            else:
                await _mail(item, sender, settings, attempted_at)
                outcome, error = Outcome.DELIVERED, None
        except asyncio.CancelledError:
            # The consignee may have received it: the attempt is logged, and retried.
            error = "cut off: no answer before the job's time budget ran out"
            cut_off.append(
                _result(item, Outcome.RETRY, attempted_at, None, error, started, settings)
            )
            raise
        except DeliveryError as exc:
            outcome = Outcome.RETRY if exc.retryable else Outcome.FAILED
            error = exc.detail
        except Exception as exc:  # a sender bug must not lose the rest of the chunk
            log.exception("delivery %s: unexpected error", item.id)
            outcome, error = Outcome.RETRY, f"{type(exc).__name__}: {exc}"
    return _result(item, outcome, attempted_at, status_code, error, started, settings)


def _result(
    item: _Due,
    outcome: Outcome,
    attempted_at: datetime,
    status_code: int | None,
    error: str | None,
    started: float,
    settings: Settings,
) -> _Result:
    duration_ms = round((time.perf_counter() - started) * 1000)
    attempt = item.attempts + 1
    if outcome is Outcome.RETRY and attempt >= settings.delivery.attempts:
        outcome = Outcome.FAILED
        error = f"{error} (gave up after {attempt} attempts)"
    return _Result(item, outcome, attempted_at, status_code, error, duration_ms)


async def _post(item: _Due, sender: Sender, settings: Settings) -> int:
    if not item.webhook_url:
        raise DeliveryError("the consignee has no webhook URL any more", retryable=False)
    if not item.webhook_secret:
        raise DeliveryError("the consignee has no webhook signing secret", retryable=False)
    payload = messages.webhook_payload(item.notification, settings.public_url)
    timestamp = clock.now().astimezone(UTC)
    signature = Webhook(item.webhook_secret).sign(item.notification.message_id, timestamp, payload)
    headers = {
        "content-type": "application/json",
        "webhook-id": item.notification.message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
    return await sender.post(item.webhook_url, payload.encode(), headers)


async def _mail(item: _Due, sender: Sender, settings: Settings, sent_at: datetime) -> None:
    if not item.email:
        raise DeliveryError("the consignee has no e-mail address any more", retryable=False)
    await sender.mail(messages.notice_email(item.notification, item.email, settings, sent_at))

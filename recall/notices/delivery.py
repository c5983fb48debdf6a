"""Deliveries of notices and reminders: one per notice, channel and message, queued in chunks
and sent by the worker (signed webhook, e-mail), every attempt logged."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum
from typing import Any, Protocol

from standardwebhooks import Webhook

from recall import alerts, audit, clock, db, masterdata, outbox
from recall.auth import SYSTEM
from recall.notices import links, messages
from recall.notices.models import NoticeStatus
from recall.notices.service import RESPOND_BY
from recall.settings import Settings, get_settings

log = logging.getLogger(__name__)

DELIVER_JOB = "deliver_notices"
# Notice ids per IN (...) list when reading many notices.
IDS_PER_QUERY = 1000
DELIVERY_COLUMNS = (
    ("notice", "int"), ("channel", "text"), ("message", "text"), ("sequence", "int"),
    ("message_id", "text"), ("status", "text"), ("attempts", "int"),
    ("next_attempt_at", "timestamptz"), ("created_at", "timestamptz"),
)  # fmt: skip
UNREACHABLE_LISTED = 50


class Channel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class Message(StrEnum):
    NOTICE = "notice"
    REMINDER = "reminder"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


def message_id(reference: str, notice_id: int, message: Message, sequence: int) -> str:
    """The webhook-id of a message: fixed per notice and message, so receivers drop repeats."""
    base = f"msg_{reference}_{notice_id}"
    return base if message is Message.NOTICE else f"{base}_reminder{sequence}"


async def schedule(
    notice_ids: Sequence[int], message: Message = Message.NOTICE, sequence: int = 0
) -> int:
    """Queue `message` to each notice's consignee on every channel it has; returns deliveries.

    Runs inside the causing transaction: delivery rows and one outbox row per chunk of
    notices. A consignee with neither webhook nor e-mail cannot be reached by the system:
    its notice is marked failed (for the notice itself) and QA is alerted to call it.
    """
    if not notice_ids:
        return 0
    now = clock.now()
    per_job = get_settings().delivery.notices_per_job
    planned: list[tuple[int, str, str]] = []  # notice, channel, message id
    unreachable: list[tuple[int, str, int]] = []  # notice, consignee code, recall
    rows = await db.fetch_in(
        "SELECT n.id AS id, n.recall AS recall, r.reference AS reference, c.code AS code, "
        "c.webhook_url AS webhook_url, c.email AS email FROM notice n "
        "JOIN consignee c ON c.id = n.consignee JOIN recall r ON r.id = n.recall "
        "WHERE n.id IN (*)",
        sorted(notice_ids),
    )
    for row in sorted(rows, key=lambda row: int(row["id"])):
        mid = message_id(row["reference"], int(row["id"]), message, sequence)
        channels = [
            channel
            for channel, address in ((Channel.WEBHOOK, row["webhook_url"]),
                                     (Channel.EMAIL, row["email"]))
            if address
        ]  # fmt: skip
        if not channels:
            unreachable.append((int(row["id"]), row["code"], int(row["recall"])))
        planned += [(int(row["id"]), channel.value, mid) for channel in channels]
    delivery_ids: dict[int, list[int]] = {}
    pending = DeliveryStatus.PENDING.value
    inserted = await db.insert_many(
        "delivery",
        DELIVERY_COLUMNS,
        [(notice_id, channel, message.value, sequence, mid, pending, 0, now, now)
         for notice_id, channel, mid in planned],
        "ON CONFLICT DO NOTHING RETURNING id, notice",
    )  # fmt: skip
    for row in inserted:
        delivery_ids.setdefault(int(row["notice"]), []).append(int(row["id"]))
    notices = sorted(delivery_ids)
    for start in range(0, len(notices), per_job):
        ids = [d for notice_id in notices[start : start + per_job] for d in delivery_ids[notice_id]]
        await outbox.add(DELIVER_JOB, {"delivery_ids": ids})
    if unreachable:
        await _unreachable(unreachable, message)
    return sum(len(ids) for ids in delivery_ids.values())


async def _unreachable(notices: list[tuple[int, str, int]], message: Message) -> None:
    if message is Message.NOTICE:
        ids = [notice_id for notice_id, _, _ in notices]
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[start : start + IDS_PER_QUERY]
            marks = ", ".join("{}" for _ in chunk)
            await db.fetch(
                f"UPDATE notice SET status = {{}} WHERE id IN ({marks}) AND status = {{}}",
                NoticeStatus.FAILED.value,
                *chunk,
                NoticeStatus.PENDING.value,
            )
    codes = [code for _, code, _ in notices]
    listed = ", ".join(codes[:UNREACHABLE_LISTED])
    if len(codes) > UNREACHABLE_LISTED:
        listed += f" and {len(codes) - UNREACHABLE_LISTED} more"
    what = "the recall notice" if message is Message.NOTICE else "a reminder"
    await alerts.raise_alert(
        alerts.AlertKind.UNREACHABLE,
        f"{len(codes)} consignee(s) have neither webhook nor e-mail and did not get {what}; "
        f"contact them by phone: {listed}",
        recall_id=notices[0][2],
        notice_id=notices[0][0] if len(notices) == 1 else None,
    )


# Sending ---------------------------------------------------------------------------------

# Share of the job's time limit spent sending; the rest records the outcomes. Sends still
# in flight then are cancelled, left pending and retried at once (same webhook-id).
SEND_BUDGET_SHARE = 0.7
ATTEMPTS_PER_INSERT = 1000
# More failed notices than this in one chunk of one recall: one alert listing them all.
ALERTS_PER_CHUNK = 10
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


_limits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _shared_limit(size: int) -> asyncio.Semaphore:
    """One bound on messages in flight per process (per event loop), shared by all jobs."""
    loop = asyncio.get_running_loop()
    limit = _limits.get(loop)
    if limit is None:
        limit = _limits[loop] = asyncio.Semaphore(size)
    return limit


async def deliver(
    outbox_id: int, sender: Sender, *, limit: asyncio.Semaphore | None = None
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
        limit = limit or _shared_limit(settings.delivery.concurrency)
        results = await _send_all(due, sender, limit, settings)
    async with db.transaction():
        await _record(results, settings)
        return await _remaining(outbox_id, delivery_ids)


_DUE_SQL = (
    "SELECT d.id AS id, d.notice AS notice, d.channel AS channel, d.message AS message, "
    "d.sequence AS sequence, d.message_id AS message_id, d.attempts AS attempts, "
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
    marks = ", ".join("{}" for _ in delivery_ids)
    rows = await db.fetch(
        _DUE_SQL + f"WHERE d.id IN ({marks}) AND d.status = {{}} AND d.next_attempt_at <= {{}} "
        "ORDER BY d.id",
        *delivery_ids,
        DeliveryStatus.PENDING.value,
        now,
    )
    if not rows:
        return []
    batches = await _batches(sorted({int(row["recall"]) for row in rows}))
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
            ),
        )
        for row in rows
    ]


async def _batches(recall_ids: list[int]) -> dict[int, tuple[messages.BatchLine, ...]]:
    marks = ", ".join("{}" for _ in recall_ids)
    found: dict[int, list[messages.BatchLine]] = {}
    for row in await db.fetch(
        "SELECT rb.recall AS recall, p.gtin AS gtin, b.batch_no AS batch_no, "
        "b.expires_on AS expires_on, p.name AS name, p.strength AS strength "
        "FROM recall_batch rb JOIN batch b ON b.id = rb.batch JOIN product p ON p.id = b.product "
        f"WHERE rb.recall IN ({marks}) ORDER BY b.batch_no, b.id",
        *recall_ids,
    ):
        found.setdefault(int(row["recall"]), []).append(
            messages.BatchLine(
                gtin=row["gtin"],
                batch_no=row["batch_no"],
                expires_on=db.as_date(row["expires_on"]),
                product_name=f"{row['name']} {row['strength']}".strip(),
            )
        )
    return {recall_id: tuple(lines) for recall_id, lines in found.items()}


async def _send_all(
    due: list[_Due], sender: Sender, limit: asyncio.Semaphore, settings: Settings
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
    limit: asyncio.Semaphore,
    settings: Settings,
    cut_off: list[_Result],
) -> _Result:
    async with limit:
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


async def _record(results: list[_Result], settings: Settings) -> None:
    """Write the outcomes of one chunk: deliveries, their attempts, then the notices."""
    if not results:
        return
    now = clock.now()
    delays: dict[int, float] = {}
    groups: dict[tuple[Any, ...], list[_Result]] = {}
    for result in results:
        next_at = now
        if result.outcome is Outcome.RETRY:
            # One draw per attempt number: the chunk is retried together anyway.
            attempt = result.due.attempts + 1
            delay = delays.setdefault(
                attempt,
                retry_delay(
                    attempt,
                    settings.delivery.retry_base_seconds,
                    settings.delivery.retry_max_seconds,
                ),
            )
            next_at = now + timedelta(seconds=delay)
        status = {
            Outcome.DELIVERED: DeliveryStatus.DELIVERED,
            Outcome.RETRY: DeliveryStatus.PENDING,
            Outcome.FAILED: DeliveryStatus.FAILED,
        }[result.outcome]
        delivered_at = now if result.outcome is Outcome.DELIVERED else None
        key = (status.value, next_at, delivered_at, result.error, result.due.attempts)
        groups.setdefault(key, []).append(result)
    recorded: list[_Result] = []
    for (status_value, next_at, delivered_at, error, attempts), members in groups.items():
        marks = ", ".join("{}" for _ in members)
        # Guarded by status and attempt count: a run that lost a race records nothing twice.
        rows = await db.fetch(
            "UPDATE delivery SET status = {}, attempts = attempts + 1, last_attempt_at = {}, "
            "next_attempt_at = {}, delivered_at = {}, last_error = {} "
            f"WHERE id IN ({marks}) AND status = {{}} AND attempts = {{}} RETURNING id",
            status_value,
            now,
            next_at,
            delivered_at,
            error,
            *[member.due.id for member in members],
            DeliveryStatus.PENDING.value,
            attempts,
        )
        updated = {int(row["id"]) for row in rows}
        recorded += [member for member in members if member.due.id in updated]
    await _insert_attempts(recorded)
    await _notices_delivered(recorded)
    await _notices_failed(recorded)
    await _reminders_failed(recorded)


async def _insert_attempts(recorded: list[_Result]) -> None:
    for start in range(0, len(recorded), ATTEMPTS_PER_INSERT):
        chunk = recorded[start : start + ATTEMPTS_PER_INSERT]
        values = [
            value
            for r in chunk
            for value in (r.due.id, r.attempted_at, r.outcome.value, r.status_code, r.error,
                          r.duration_ms)
        ]  # fmt: skip
        await db.fetch(
            "INSERT INTO delivery_attempt (delivery, attempted_at, outcome, status_code, error, "
            "duration_ms) VALUES " + ", ".join(["({}, {}, {}, {}, {}, {})"] * len(chunk)),
            *values,
        )


def _notice_ids(recorded: list[_Result], outcome: Outcome) -> list[int]:
    return sorted(
        {
            r.due.notice_id
            for r in recorded
            if r.outcome is outcome and r.due.notification.message == Message.NOTICE.value
        }
    )


async def _notices_delivered(recorded: list[_Result]) -> None:
    """The first delivered notice message: notified, and sent unless further along."""
    ids = _notice_ids(recorded, Outcome.DELIVERED)
    if not ids:
        return
    marks = ", ".join("{}" for _ in ids)
    await db.fetch(
        "UPDATE notice SET notified_at = (SELECT MIN(a.attempted_at) FROM delivery_attempt a "
        "JOIN delivery d ON d.id = a.delivery WHERE d.notice = notice.id AND d.message = {} "
        f"AND a.outcome = {{}}) WHERE id IN ({marks}) AND notified_at IS NULL",
        Message.NOTICE.value,
        Outcome.DELIVERED.value,
        *ids,
    )
    movable = (NoticeStatus.PENDING.value, NoticeStatus.FAILED.value)
    before = await db.fetch(
        f"SELECT id, status FROM notice WHERE id IN ({marks}) AND status IN ({{}}, {{}})",
        *ids,
        *movable,
    )
    if not before:
        return
    old = {int(row["id"]): row["status"] for row in before}
    marks = ", ".join("{}" for _ in old)
    changed = await db.fetch(
        "UPDATE notice SET status = {}, version = version + 1 "
        f"WHERE id IN ({marks}) AND status IN ({{}}, {{}}) RETURNING id, notified_at",
        NoticeStatus.SENT.value,
        *old,
        *movable,
    )
    await audit.record(
        SYSTEM,
        *[
            audit.Change(
                "notice",
                int(row["id"]),
                "sent",
                old={"status": old[int(row["id"])]},
                new={
                    "status": NoticeStatus.SENT.value,
                    "notified_at": db.as_utc(row["notified_at"]).isoformat()
                    if row["notified_at"] is not None
                    else None,
                },
            )
            for row in sorted(changed, key=lambda row: int(row["id"]))
        ],
    )


async def _channel_errors(notice_ids: list[int], message: Message) -> list[dict[str, Any]]:
    marks = ", ".join("{}" for _ in notice_ids)
    return await db.fetch(
        "SELECT notice, sequence, channel, status, last_error FROM delivery "
        f"WHERE notice IN ({marks}) AND message = {{}} ORDER BY notice, sequence, channel",
        *notice_ids,
        message.value,
    )


def _all_failed(rows: list[dict[str, Any]]) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """Deliveries by (notice, sequence), only where every channel failed."""
    by_message: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in rows:
        by_message.setdefault((int(row["notice"]), int(row["sequence"])), []).append(row)
    return {
        key: channels
        for key, channels in by_message.items()
        if all(row["status"] == DeliveryStatus.FAILED.value for row in channels)
    }


def _errors_text(channels: list[dict[str, Any]]) -> str:
    return "; ".join(f"{row['channel']}: {row['last_error'] or 'failed'}" for row in channels)


async def _notices_failed(recorded: list[_Result]) -> None:
    """Every channel of a notice failed: the notice is failed and QA must phone."""
    ids = _notice_ids(recorded, Outcome.FAILED)
    if not ids:
        return
    failed = _all_failed(await _channel_errors(ids, Message.NOTICE))
    if not failed:
        return
    candidates = sorted(notice_id for notice_id, _ in failed)
    marks = ", ".join("{}" for _ in candidates)
    changed = await db.fetch(
        "UPDATE notice SET status = {}, version = version + 1 "
        f"WHERE id IN ({marks}) AND status = {{}} RETURNING id",
        NoticeStatus.FAILED.value,
        *candidates,
        NoticeStatus.PENDING.value,
    )
    changed_ids = sorted(int(row["id"]) for row in changed)
    if not changed_ids:
        return
    about = {r.due.notice_id: r.due for r in recorded}
    await audit.record(
        SYSTEM,
        *[
            audit.Change(
                "notice",
                notice_id,
                "delivery_failed",
                old={"status": NoticeStatus.PENDING.value},
                new={"status": NoticeStatus.FAILED.value},
                reason=_errors_text(failed[(notice_id, 0)]),
            )
            for notice_id in changed_ids
        ],
    )
    await _alert(
        [(about[notice_id], failed[(notice_id, 0)]) for notice_id in changed_ids],
        "the recall notice",
    )


async def _reminders_failed(recorded: list[_Result]) -> None:
    """Every channel of a reminder failed: the notice keeps its status, QA is alerted."""
    wanted = {
        (r.due.notice_id, r.due.notification.sequence)
        for r in recorded
        if r.outcome is Outcome.FAILED and r.due.notification.message == Message.REMINDER.value
    }
    if not wanted:
        return
    rows = await _channel_errors(sorted({notice_id for notice_id, _ in wanted}), Message.REMINDER)
    failed = {key: rows for key, rows in _all_failed(rows).items() if key in wanted}
    about = {(r.due.notice_id, r.due.notification.sequence): r.due for r in recorded}
    if failed:
        await _alert([(about[key], failed[key]) for key in sorted(failed)], "a reminder")


async def _alert(failures: list[tuple[_Due, list[dict[str, Any]]]], what: str) -> None:
    by_recall: dict[int, list[tuple[_Due, list[dict[str, Any]]]]] = {}
    for due, channels in failures:
        by_recall.setdefault(due.recall_id, []).append((due, channels))
    for recall_id, items in by_recall.items():
        if len(items) > ALERTS_PER_CHUNK:
            codes = [due.consignee_code for due, _ in items]
            listed = ", ".join(codes[:UNREACHABLE_LISTED])
            if len(codes) > UNREACHABLE_LISTED:
                listed += f" and {len(codes) - UNREACHABLE_LISTED} more"
            await alerts.raise_alert(
                alerts.AlertKind.DELIVERY_FAILED,
                f"{len(codes)} consignee(s) did not get {what} on any channel; "
                f"contact them by phone: {listed}",
                recall_id=recall_id,
            )
            continue
        for due, channels in items:
            phone = f"; call {due.phone}" if due.phone else ""
            await alerts.raise_alert(
                alerts.AlertKind.DELIVERY_FAILED,
                f"{what.capitalize()} of {due.notification.reference} to {due.consignee_code} "
                f"({due.notification.consignee_name}) could not be delivered: "
                f"{_errors_text(channels)}{phone}",
                recall_id=recall_id,
                notice_id=due.notice_id,
            )


async def _remaining(outbox_id: int, delivery_ids: list[int]) -> float | None:
    marks = ", ".join("{}" for _ in delivery_ids)
    rows = await db.fetch(
        "SELECT COUNT(*) AS n, MIN(next_attempt_at) AS next_at FROM delivery "
        f"WHERE id IN ({marks}) AND status = {{}}",
        *delivery_ids,
        DeliveryStatus.PENDING.value,
    )
    if not int(rows[0]["n"]):
        await outbox.mark_done(outbox_id)
        return None
    wait = (db.as_utc(rows[0]["next_at"]) - clock.now()).total_seconds()
    return max(0.0, wait)


# Alerts to QA by e-mail -----------------------------------------------------------------


async def mail_alert(outbox_id: int, sender: Sender, attempt: int = 1) -> float | None:
    """Mail the alert of outbox row `outbox_id` to QA (settings.qa_alert_email).

    Returns seconds until the next try after a transient failure; None when finished
    (sent, or given up and logged: an alert stays visible on its page either way).
    """
    job = await outbox.payload(outbox_id)
    if job is None:
        return None
    settings = get_settings()
    alert_id = int(job["alert_id"])
    mail = await alerts.alert_mail(alert_id) if settings.qa_alert_email else None
    if mail is not None:
        subject_text, text = mail
        message = messages.alert_email(alert_id, subject_text, text, settings, clock.now())
        try:
            await sender.mail(message)
        except DeliveryError as exc:
            if exc.retryable and attempt < settings.delivery.attempts:
                return retry_delay(
                    attempt,
                    settings.delivery.retry_base_seconds,
                    settings.delivery.retry_max_seconds,
                )
            log.error("alert %s was not mailed to QA: %s", alert_id, exc.detail)
    await outbox.mark_done(outbox_id)
    return None

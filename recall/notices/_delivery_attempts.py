"""Recording the outcomes of a chunk of deliveries: the deliveries, every attempt, then the
notices (sent, failed) with their audit entries, and alerts to QA where nobody was reached."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from recall import alerts, audit, clock, db, outbox
from recall.actors import SYSTEM
from recall.notices._delivery_schedule import UNREACHABLE_LISTED, DeliveryStatus, Message
from recall.notices._delivery_send import Outcome, _Due, _Result, retry_delay
from recall.notices._models import NoticeStatus
from recall.settings import Settings

# Columns of a delivery attempt, with their PostgreSQL types (see db.insert_many).
_ATTEMPT_COLUMNS = (
    ("delivery", "int"), ("attempted_at", "timestamptz"), ("outcome", "text"),
    ("status_code", "int"), ("error", "text"), ("duration_ms", "int"),
)  # fmt: skip
# More failed notices than this in one chunk of one recall: one alert listing them all.
ALERTS_PER_CHUNK = 10


async def _record(results: list[_Result], settings: Settings) -> list[audit.Change]:
    """Write the outcomes of one chunk: deliveries, their attempts, then the notices; the
    notices sent, to audit last (see deliver)."""
    if not results:
        return []
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
        # Guarded by status and attempt count: a run that lost a race records nothing twice.
        rows = await db.fetch_in(
            "UPDATE delivery SET status = {}, attempts = attempts + 1, last_attempt_at = {}, "
            "next_attempt_at = {}, delivered_at = {}, last_error = {} "
            "WHERE id IN (*) AND status = {} AND attempts = {} RETURNING id",
            [member.due.id for member in members],
            status_value,
            now,
            next_at,
            delivered_at,
            error,
            DeliveryStatus.PENDING.value,
            attempts,
        )
        updated = {int(row["id"]) for row in rows}
        recorded += [member for member in members if member.due.id in updated]
    await _insert_attempts(recorded)
    sent = await _notices_delivered(recorded)
    await _notices_failed(recorded)
    await _reminders_failed(recorded)
    return sent


async def _insert_attempts(recorded: list[_Result]) -> None:
    await db.insert_many(
        "delivery_attempt",
        _ATTEMPT_COLUMNS,
        [
            (r.due.id, r.attempted_at, r.outcome.value, r.status_code, r.error, r.duration_ms)
            for r in recorded
        ],
    )


def _notice_ids(recorded: list[_Result], outcome: Outcome) -> list[int]:
    return sorted(
        {
            r.due.notice_id
            for r in recorded
            if r.outcome is outcome and r.due.notification.message == Message.NOTICE.value
        }
    )


async def _notices_delivered(recorded: list[_Result]) -> list[audit.Change]:
    """The first delivered notice message: notified, and sent unless further along; the
    changes to audit."""
    ids = _notice_ids(recorded, Outcome.DELIVERED)
    if not ids:
        return []
    movable = (NoticeStatus.PENDING.value, NoticeStatus.FAILED.value)
    before = await db.fetch_in(
        "SELECT id, status FROM notice WHERE id IN (*) AND status IN ({}, {})", ids, *movable
    )
    old = {int(row["id"]): row["status"] for row in before}
    # Notified when its first delivered attempt began: all of a notice's channels are in
    # one chunk, so the earliest of this chunk's, unless an earlier run already set it.
    first: dict[int, datetime] = {}
    for r in recorded:
        if r.outcome is Outcome.DELIVERED and r.due.notification.message == Message.NOTICE.value:
            at = first.get(r.due.notice_id)
            first[r.due.notice_id] = r.attempted_at if at is None else min(at, r.attempted_at)
    delivered, values = db.rows_table(
        "delivered", (("id", "int"), ("at", "timestamptz")), sorted(first.items())
    )
    # One statement, one new row version per notice: notified and, unless the consignee
    # already answered, sent.
    changed = await db.fetch(
        f"UPDATE notice SET notified_at = COALESCE(notice.notified_at, delivered.at), "
        "status = CASE WHEN notice.status IN ({}, {}) THEN {} ELSE notice.status END, "
        "version = notice.version + CASE WHEN notice.status IN ({}, {}) THEN 1 ELSE 0 END "
        f"FROM {delivered} WHERE notice.id = delivered.id "
        "AND (notice.notified_at IS NULL OR notice.status IN ({}, {})) "
        "RETURNING notice.id AS id, notice.notified_at AS notified_at, notice.status AS status",
        *movable,
        NoticeStatus.SENT.value,
        *movable,
        *values,
        *movable,
    )
    return [
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
        # Moved by this statement: pending or failed before, sent now (not answered meanwhile).
        if int(row["id"]) in old and row["status"] == NoticeStatus.SENT.value
    ]


async def _channel_errors(notice_ids: list[int], message: Message) -> list[Mapping[str, Any]]:
    return await db.fetch_in(
        "SELECT notice, sequence, channel, status, last_error FROM delivery "
        "WHERE notice IN (*) AND message = {} ORDER BY notice, sequence, channel",
        notice_ids,
        message.value,
    )


def _all_failed(rows: list[Mapping[str, Any]]) -> dict[tuple[int, int], list[Mapping[str, Any]]]:
    """Deliveries by (notice, sequence), only where every channel failed."""
    by_message: dict[tuple[int, int], list[Mapping[str, Any]]] = {}
    for row in rows:
        by_message.setdefault((int(row["notice"]), int(row["sequence"])), []).append(row)
    return {
        key: channels
        for key, channels in by_message.items()
        if all(row["status"] == DeliveryStatus.FAILED.value for row in channels)
    }


def _errors_text(channels: list[Mapping[str, Any]]) -> str:
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
    changed = await db.fetch_in(
        "UPDATE notice SET status = {}, version = version + 1 "
        "WHERE id IN (*) AND status = {} RETURNING id",
        candidates,
        NoticeStatus.FAILED.value,
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
    """Every channel of a reminder (or an update) failed: the notice keeps its status, QA is
    alerted."""
    for message, what in ((Message.REMINDER, "a reminder"), (Message.UPDATE, "an update")):
        wanted = {
            (r.due.notice_id, r.due.notification.sequence)
            for r in recorded
            if r.outcome is Outcome.FAILED and r.due.notification.message == message.value
        }
        if not wanted:
            continue
        rows = await _channel_errors(sorted({notice_id for notice_id, _ in wanted}), message)
        failed = {key: rows for key, rows in _all_failed(rows).items() if key in wanted}
        about = {
            (r.due.notice_id, r.due.notification.sequence): r.due
            for r in recorded
            if r.due.notification.message == message.value
        }
        if failed:
            await _alert([(about[key], failed[key]) for key in sorted(failed)], what)


async def _alert(failures: list[tuple[_Due, list[Mapping[str, Any]]]], what: str) -> None:
    by_recall: dict[int, list[tuple[_Due, list[Mapping[str, Any]]]]] = {}
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
    rows = await db.fetch_in(
        "SELECT COUNT(*) AS n, MIN(next_attempt_at) AS next_at FROM delivery "
        "WHERE id IN (*) AND status = {}",
        delivery_ids,
        DeliveryStatus.PENDING.value,
    )
    if not int(rows[0]["n"]):
        await outbox.mark_done(outbox_id)
        return None
    wait = (db.as_utc(rows[0]["next_at"]) - clock.now()).total_seconds()
    return max(0.0, wait)

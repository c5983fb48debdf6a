"""Recording the outcomes of a chunk of deliveries: the deliveries, every attempt, then the
notices (sent, failed) with their audit entries, and alerts to QA where nobody was reached."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from recall import alerts, audit, clock, db, outbox
from recall.actors import SYSTEM
from recall.notices._delivery_schedule import UNREACHABLE_LISTED, DeliveryStatus, Message
from recall.notices._delivery_send import Outcome, _Due, _Result, retry_delay
from recall.notices._models import NoticeStatus
from recall.settings import Settings

ATTEMPTS_PER_INSERT = 1000
# More failed notices than this in one chunk of one recall: one alert listing them all.
ALERTS_PER_CHUNK = 10


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

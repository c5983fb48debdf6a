"""Queueing deliveries of notices and reminders: one per notice, channel and message, in
chunks for the worker; what a delivery is (its channel, message and status)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum

from recall import alerts, clock, db, outbox
from recall.notices._models import NoticeStatus
from recall.settings import get_settings

DELIVER_JOB = "deliver_notices"
DELIVERY_COLUMNS = (
    ("notice", "int"), ("channel", "text"), ("message", "text"), ("sequence", "int"),
    ("message_id", "text"), ("status", "text"), ("attempts", "int"),
    ("next_attempt_at", "timestamptz"), ("created_at", "timestamptz"),
)  # fmt: skip
UNREACHABLE_LISTED = 50
# A class I recall's deliveries go before a class II's, and both before a class III's.
PRIORITY_OF_CLASS = {"I": outbox.Priority.URGENT, "II": outbox.Priority.HIGH}


def priority_of(recall_class: str) -> outbox.Priority:
    """How urgent a recall's work is, by its class."""
    return PRIORITY_OF_CLASS.get(recall_class, outbox.Priority.ROUTINE)


class Channel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class Message(StrEnum):
    NOTICE = "notice"
    REMINDER = "reminder"
    UPDATE = "update"  # batches added to a notice after it went out


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


def message_id(reference: str, notice_id: int, message: Message, sequence: int) -> str:
    """The webhook-id of a message: fixed per notice and message, so receivers drop repeats."""
    base = f"msg_{reference}_{notice_id}"
    return base if message is Message.NOTICE else f"{base}_{message.value}{sequence}"


async def schedule(
    notice_ids: Sequence[int],
    message: Message = Message.NOTICE,
    sequence: int | Mapping[int, int] = 0,
    at: datetime | None = None,
) -> int:
    """Queue `message` to each notice's consignee on every channel it has; returns deliveries.

    Runs inside the causing transaction: delivery rows and one outbox row per chunk of
    notices. A consignee with neither webhook nor e-mail cannot be reached by the system:
    its notice is marked failed (for the notice itself) and QA is alerted to call it.
    `sequence` may differ per notice (updates: each notice's n-th); `at` is the deliveries'
    creation time (an update's is the time its batches were added to the notice).
    """
    if not notice_ids:
        return 0
    now = at or clock.now()
    numbers = sequence if isinstance(sequence, Mapping) else dict.fromkeys(notice_ids, sequence)
    per_job = get_settings().delivery.notices_per_job
    planned: list[tuple[int, str, str, int]] = []  # notice, channel, message id, sequence
    unreachable: list[tuple[int, str, int]] = []  # notice, consignee code, recall
    priority: dict[int, outbox.Priority] = {}  # per notice, from its recall's class
    rows = await db.fetch_in(
        "SELECT n.id AS id, n.recall AS recall, r.reference AS reference, c.code AS code, "
        "r.recall_class AS recall_class, "
        "c.webhook_url AS webhook_url, c.email AS email FROM notice n "
        "JOIN consignee c ON c.id = n.consignee JOIN recall r ON r.id = n.recall "
        "WHERE n.id IN (*)",
        sorted(notice_ids),
    )
    for row in sorted(rows, key=lambda row: int(row["id"])):
        number = numbers[int(row["id"])]
        priority[int(row["id"])] = priority_of(row["recall_class"])
        mid = message_id(row["reference"], int(row["id"]), message, number)
        channels = [
            channel
            for channel, address in ((Channel.WEBHOOK, row["webhook_url"]),
                                     (Channel.EMAIL, row["email"]))
            if address
        ]  # fmt: skip
        if not channels:
            unreachable.append((int(row["id"]), row["code"], int(row["recall"])))
        planned += [(int(row["id"]), channel.value, mid, number) for channel in channels]
    delivery_ids: dict[int, list[int]] = {}
    pending = DeliveryStatus.PENDING.value
    inserted = await db.insert_many(
        "delivery",
        DELIVERY_COLUMNS,
        [(notice_id, channel, message.value, number, mid, pending, 0, now, now)
         for notice_id, channel, mid, number in planned],
        "ON CONFLICT DO NOTHING RETURNING id, notice",
    )  # fmt: skip
    for row in inserted:
        delivery_ids.setdefault(int(row["notice"]), []).append(int(row["id"]))
    notices = sorted(delivery_ids)
    for start in range(0, len(notices), per_job):
        chunk = notices[start : start + per_job]
        ids = [d for notice_id in chunk for d in delivery_ids[notice_id]]
        urgency = max(priority[notice_id] for notice_id in chunk)
        await outbox.add(DELIVER_JOB, {"delivery_ids": ids}, priority=urgency)
    if unreachable:
        await _unreachable(unreachable, message)
    return sum(len(ids) for ids in delivery_ids.values())


async def _unreachable(notices: list[tuple[int, str, int]], message: Message) -> None:
    if message is Message.NOTICE:
        await db.fetch_in(
            "UPDATE notice SET status = {} WHERE id IN (*) AND status = {}",
            [notice_id for notice_id, _, _ in notices],
            NoticeStatus.FAILED.value,
            NoticeStatus.PENDING.value,
        )
    codes = [code for _, code, _ in notices]
    listed = ", ".join(codes[:UNREACHABLE_LISTED])
    if len(codes) > UNREACHABLE_LISTED:
        listed += f" and {len(codes) - UNREACHABLE_LISTED} more"
    what = {
        Message.NOTICE: "the recall notice",
        Message.REMINDER: "a reminder",
        Message.UPDATE: "the update of the recall (batches added)",
    }[message]
    await alerts.raise_alert(
        alerts.AlertKind.UNREACHABLE,
        f"{len(codes)} consignee(s) have neither webhook nor e-mail and did not get {what}; "
        f"contact them by phone: {listed}",
        recall_id=notices[0][2],
        notice_id=notices[0][0] if len(notices) == 1 else None,
    )

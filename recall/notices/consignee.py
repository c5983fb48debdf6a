"""The consignee's side of a notice: its own notices, read and acknowledged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import msgspec

from recall import audit, clock, db
from recall.auth import Actor
from recall.errors import Conflict, Forbidden, NotFound
from recall.notices import idempotency
from recall.notices.idempotency import IdempotencyKey, StoredAnswer
from recall.notices.models import NoticeStatus
from recall.notices.service import RESPOND_BY, _as_datetime
from recall.rules import is_valid_id

# Recall statuses as stored by recall.recalls (which imports this package, not the reverse).
PROPOSED = "proposed"
CLOSED = "closed"

# Acknowledging moves a notice on only from these; a response is further along.
ACKNOWLEDGEABLE = (NoticeStatus.PENDING, NoticeStatus.SENT, NoticeStatus.FAILED)


@dataclass(frozen=True)
class NoticeBatch:
    gtin: str
    batch_no: str
    expires_on: date
    product_name: str


@dataclass(frozen=True)
class NoticeRecall:
    """What a consignee sees of the recall behind its notice."""

    reference: str
    recall_class: str
    reason: str
    depth: str
    drill: bool
    batches: tuple[NoticeBatch, ...]


@dataclass(frozen=True)
class NoticeLineShown:
    batch_no: str
    gtin: str
    quantity_distributed: int


@dataclass(frozen=True)
class ConsigneeNotice:
    """One notice as its consignee sees it, with the deadline to answer by."""

    id: int
    recall: NoticeRecall
    tier: int
    status: str
    acknowledged_at: datetime | None
    respond_by: datetime | None
    lines: tuple[NoticeLineShown, ...]


def _consignee_of(actor: Actor) -> int:
    if actor.consignee_id is None:
        raise Forbidden("only a user or API key bound to a consignee has notices")
    return actor.consignee_id


def _date(value: Any) -> date:
    # SQLite may hand back ISO text where the declared type does not survive the query.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


_NOTICE_SQL = (
    "SELECT n.id AS id, n.recall AS recall, n.tier AS tier, n.status AS status, "
    f"n.acknowledged_at AS acknowledged_at, {RESPOND_BY} AS respond_by "
    "FROM notice n JOIN consignee c ON c.id = n.consignee "
    "JOIN recall rc ON rc.id = n.recall "
    "WHERE n.consignee = {} AND rc.status <> {} "
)


async def _recalls(recall_ids: list[int]) -> dict[int, NoticeRecall]:
    marks = ", ".join("{}" for _ in recall_ids)
    batches: dict[int, list[NoticeBatch]] = {recall_id: [] for recall_id in recall_ids}
    for row in await db.fetch(
        "SELECT rb.recall AS recall, p.gtin AS gtin, b.batch_no AS batch_no, "
        "b.expires_on AS expires_on, p.name AS product_name "
        "FROM recall_batch rb JOIN batch b ON b.id = rb.batch JOIN product p ON p.id = b.product "
        f"WHERE rb.recall IN ({marks}) ORDER BY b.batch_no, b.id",
        *recall_ids,
    ):
        batches[int(row["recall"])].append(
            NoticeBatch(row["gtin"], row["batch_no"], _date(row["expires_on"]), row["product_name"])
        )
    rows = await db.fetch(
        "SELECT id, reference, recall_class, reason, depth, drill FROM recall "
        f"WHERE id IN ({marks})",
        *recall_ids,
    )
    return {
        int(row["id"]): NoticeRecall(
            reference=row["reference"],
            recall_class=row["recall_class"],
            reason=row["reason"],
            depth=row["depth"],
            drill=bool(row["drill"]),
            batches=tuple(batches[int(row["id"])]),
        )
        for row in rows
    }


async def _lines(notice_ids: list[int]) -> dict[int, list[NoticeLineShown]]:
    lines: dict[int, list[NoticeLineShown]] = {notice_id: [] for notice_id in notice_ids}
    marks = ", ".join("{}" for _ in notice_ids)
    for row in await db.fetch(
        "SELECT l.notice AS notice, b.batch_no AS batch_no, p.gtin AS gtin, "
        "l.quantity_distributed AS quantity_distributed "
        "FROM notice_line l JOIN batch b ON b.id = l.batch JOIN product p ON p.id = b.product "
        f"WHERE l.notice IN ({marks}) ORDER BY b.batch_no, l.id",
        *notice_ids,
    ):
        lines[int(row["notice"])].append(
            NoticeLineShown(row["batch_no"], row["gtin"], int(row["quantity_distributed"]))
        )
    return lines


async def _shown(rows: list[dict[str, Any]]) -> list[ConsigneeNotice]:
    if not rows:
        return []
    recalls = await _recalls(sorted({int(row["recall"]) for row in rows}))
    lines = await _lines([int(row["id"]) for row in rows])
    return [
        ConsigneeNotice(
            id=int(row["id"]),
            recall=recalls[int(row["recall"])],
            tier=int(row["tier"]),
            status=row["status"],
            acknowledged_at=_as_datetime(row["acknowledged_at"]),
            respond_by=_as_datetime(row["respond_by"]),
            lines=tuple(lines[int(row["id"])]),
        )
        for row in rows
    ]


async def _own_notice(consignee_id: int, notice_id: int) -> ConsigneeNotice:
    # Another consignee's notice is "not found" too: its existence is not theirs to know.
    rows = []
    if is_valid_id(notice_id):
        rows = await db.fetch(_NOTICE_SQL + "AND n.id = {}", consignee_id, PROPOSED, notice_id)
    if not rows:
        raise NotFound(f"notice {notice_id} not found")
    return (await _shown(rows))[0]


async def list_own_notices(
    actor: Actor, limit: int = 50, offset: int = 0
) -> tuple[list[ConsigneeNotice], int]:
    """The acting consignee's notices of approved recalls, newest first."""
    consignee_id = _consignee_of(actor)
    rows = await db.fetch(
        _NOTICE_SQL + "ORDER BY n.created_at DESC, n.id DESC LIMIT {} OFFSET {}",
        consignee_id,
        PROPOSED,
        limit,
        offset,
    )
    total = await db.fetch(
        "SELECT COUNT(*) AS total FROM notice n JOIN recall rc ON rc.id = n.recall "
        "WHERE n.consignee = {} AND rc.status <> {}",
        consignee_id,
        PROPOSED,
    )
    return await _shown(rows), int(total[0]["total"])


async def get_own_notice(actor: Actor, notice_id: int) -> ConsigneeNotice:
    """One of the acting consignee's notices; NotFound for any other."""
    return await _own_notice(_consignee_of(actor), notice_id)


async def acknowledge_notice(
    actor: Actor, notice_id: int, key: IdempotencyKey | None = None
) -> ConsigneeNotice | StoredAnswer:
    """Record that the consignee received the notice; acknowledging twice changes nothing.

    With an Idempotency-Key the answer is stored in the same transaction, and a repeat of
    the same request gets that stored answer back (a StoredAnswer) instead.
    """
    consignee_id = _consignee_of(actor)
    scope = idempotency.scope_of(actor) if key else ""
    try:
        async with db.transaction():
            if key:
                stored = await idempotency.stored_answer(scope, key)
                if stored:
                    return stored
            notice = await _acknowledge(actor, consignee_id, notice_id)
            if key:
                await idempotency.store_answer(scope, key, 200, msgspec.json.encode(notice))
    except Exception as exc:
        if not key or not db.is_unique_violation(exc):
            raise
        # A concurrent request with the same key stored its answer first: give that one.
        stored = await idempotency.stored_answer(scope, key)
        if stored is None:
            raise
        return stored
    return notice


async def _acknowledge(actor: Actor, consignee_id: int, notice_id: int) -> ConsigneeNotice:
    rows = []
    if is_valid_id(notice_id):
        rows = await db.fetch(
            "SELECT n.status AS status, n.acknowledged_at AS acknowledged_at, "
            "n.version AS version, rc.status AS recall_status, rc.reference AS reference "
            "FROM notice n JOIN recall rc ON rc.id = n.recall "
            "WHERE n.id = {} AND n.consignee = {} AND rc.status <> {}",
            notice_id,
            consignee_id,
            PROPOSED,
        )
    if not rows:
        raise NotFound(f"notice {notice_id} not found")
    row = rows[0]
    if row["recall_status"] == CLOSED:
        raise Conflict(f"recall {row['reference']} is closed; notices can no longer change")
    if row["acknowledged_at"] is None:
        now = clock.now()
        status = row["status"]
        if status in ACKNOWLEDGEABLE:
            status = NoticeStatus.ACKNOWLEDGED.value
        # The version guard makes a concurrent second acknowledge a no-op.
        changed = await db.fetch(
            "UPDATE notice SET acknowledged_at = {}, last_contact_at = {}, status = {}, "
            "version = version + 1 WHERE id = {} AND version = {} AND acknowledged_at IS NULL "
            "RETURNING id",
            now,
            now,
            status,
            notice_id,
            row["version"],
        )
        if changed:
            await audit.record(
                actor,
                audit.Change(
                    "notice",
                    notice_id,
                    "acknowledged",
                    old={"status": row["status"], "acknowledged_at": None},
                    new={"status": status, "acknowledged_at": now.isoformat()},
                ),
            )
    notice = await _own_notice(consignee_id, notice_id)
    if notice.acknowledged_at is None:
        raise Conflict(f"notice {notice_id} changed meanwhile; acknowledge again")
    return notice

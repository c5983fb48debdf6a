"""The consignee's side of a notice: its own notices, read and acknowledged."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from recall import audit, clock, db, masterdata
from recall.actors import Actor
from recall.errors import Conflict, Forbidden, InvalidInput, NotFound
from recall.notices import _idempotency as idempotency
from recall.notices._idempotency import IdempotencyKey, StoredAnswer
from recall.notices._models import NoticeStatus
from recall.notices._service import RESPOND_BY
from recall.rules import is_valid_id

# Recall statuses as stored by recall.recalls (which imports this package, not the reverse).
PROPOSED = "proposed"
CLOSED = "closed"

# Acknowledging moves a notice on only from these; a response is further along.
ACKNOWLEDGEABLE = (NoticeStatus.PENDING, NoticeStatus.SENT, NoticeStatus.FAILED)


@dataclass(frozen=True)
class NoticeRecall:
    """What a consignee sees of the recall behind its notice."""

    reference: str
    recall_class: str
    reason: str
    depth: str
    drill: bool
    batches: tuple[masterdata.BatchView, ...]


@dataclass(frozen=True)
class NoticeLineShown:
    batch_no: str
    gtin: str
    quantity_distributed: int
    quantity_on_hand: int | None
    quantity_quarantined: int | None
    quantity_returned: int


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
    responded_at: datetime | None = None


def _consignee_of(actor: Actor) -> int:
    if actor.consignee_id is None:
        raise Forbidden("only a user or API key bound to a consignee has notices")
    return actor.consignee_id


_NOTICE_SQL = (
    "SELECT n.id AS id, n.recall AS recall, n.tier AS tier, n.status AS status, "
    "n.acknowledged_at AS acknowledged_at, n.responded_at AS responded_at, "
    f"{RESPOND_BY} AS respond_by "
    "FROM notice n JOIN consignee c ON c.id = n.consignee "
    "JOIN recall rc ON rc.id = n.recall "
    "WHERE n.consignee = {} AND rc.status <> {} "
)


async def _recalls(recall_ids: list[int]) -> dict[int, NoticeRecall]:
    batches: dict[int, list[masterdata.BatchView]] = {recall_id: [] for recall_id in recall_ids}
    for row in await db.fetch_in(
        f"SELECT rb.recall AS recall, {masterdata.BATCH_VIEW_COLUMNS} "
        "FROM recall_batch rb JOIN batch b ON b.id = rb.batch JOIN product p ON p.id = b.product "
        "WHERE rb.recall IN (*) ORDER BY b.batch_no, b.id",
        recall_ids,
    ):
        batches[int(row["recall"])].append(masterdata.batch_view(row))
    rows = await db.fetch_in(
        "SELECT id, reference, recall_class, reason, depth, drill FROM recall WHERE id IN (*)",
        recall_ids,
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
    for row in await db.fetch_in(
        "SELECT l.notice AS notice, b.batch_no AS batch_no, p.gtin AS gtin, "
        "l.quantity_distributed AS quantity_distributed, l.quantity_on_hand AS quantity_on_hand, "
        "l.quantity_quarantined AS quantity_quarantined, l.quantity_returned AS quantity_returned "
        "FROM notice_line l JOIN batch b ON b.id = l.batch JOIN product p ON p.id = b.product "
        "WHERE l.notice IN (*) ORDER BY b.batch_no, l.id",
        notice_ids,
    ):
        lines[int(row["notice"])].append(
            NoticeLineShown(
                row["batch_no"],
                row["gtin"],
                int(row["quantity_distributed"]),
                _count(row["quantity_on_hand"]),
                _count(row["quantity_quarantined"]),
                int(row["quantity_returned"]),
            )
        )
    return lines


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


async def _shown(rows: list[Mapping[str, Any]]) -> list[ConsigneeNotice]:
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
            acknowledged_at=db.as_utc(row["acknowledged_at"]),
            respond_by=db.as_utc(row["respond_by"]),
            lines=tuple(lines[int(row["id"])]),
            responded_at=db.as_utc(row["responded_at"]),
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
    return await _once(actor, key, lambda: _acknowledge(actor, consignee_id, notice_id))


T = TypeVar("T")


async def _once(
    actor: Actor,
    key: IdempotencyKey | None,
    change: Callable[[], Awaitable[T]],
    kept: Callable[[T], Any] = lambda result: result,
) -> T | StoredAnswer:
    """Run `change` in one transaction; with a key, store its answer there or replay the first.

    `kept` is what of the answer is stored (secrets in it sealed).
    """
    scope = idempotency.scope_of(actor) if key else ""
    try:
        async with db.transaction():
            if key:
                stored = await idempotency.stored_answer(scope, key)
                if stored:
                    return stored
            result = await change()
            if key:
                body = msgspec.json.encode(kept(result))
                await idempotency.store_answer(scope, key, body)
    except Exception as exc:
        if not key or not db.is_unique_violation(exc):
            raise
        # A concurrent request with the same key stored its answer first: give that one.
        stored = await idempotency.stored_answer(scope, key)
        if stored is None:
            raise
        return stored
    return result


async def _acknowledge(actor: Actor, consignee_id: int, notice_id: int) -> ConsigneeNotice:
    row = await _open_notice(consignee_id, notice_id)
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


# Stock reports and returns ------------------------------------------------------------------

# Integer columns hold at most this on PostgreSQL.
MAX_QUANTITY = 2**31 - 1
# Reporting stock or returns moves a notice to "responded" from any of these.
RESPONDABLE = (*ACKNOWLEDGEABLE, NoticeStatus.ACKNOWLEDGED)


@dataclass(frozen=True)
class _Line:
    id: int
    batch: int
    batch_no: str
    gtin: str
    quantity_on_hand: int | None
    quantity_quarantined: int | None
    quantity_returned: int
    quantity_distributed: int


def _check_quantity(field: str, value: int, *, positive: bool = False) -> None:
    if value < (1 if positive else 0):
        raise InvalidInput(field, "must be greater than 0" if positive else "must not be negative")
    if value > MAX_QUANTITY:
        raise InvalidInput(field, f"must be at most {MAX_QUANTITY}")


def _check_batches_once(batch_nos: Sequence[str]) -> None:
    if not batch_nos:
        raise InvalidInput("lines", "at least one line is required")
    seen: set[str] = set()
    for index, batch_no in enumerate(batch_nos):
        if batch_no in seen:
            raise InvalidInput(f"lines[{index}].batch_no", f"batch {batch_no} is listed twice")
        seen.add(batch_no)


async def _open_notice(consignee_id: int, notice_id: int) -> Mapping[str, Any]:
    """The notice row to change, held until the transaction ends: NotFound when not the
    consignee's, Conflict when its recall is closed."""
    rows = []
    if is_valid_id(notice_id):
        # Hold the row first: a second change of this notice at the same moment waits for
        # this one and then builds on it, instead of failing on the version guard.
        await db.fetch("UPDATE notice SET version = version WHERE id = {}", notice_id)
        rows = await db.fetch(
            "SELECT n.status AS status, n.acknowledged_at AS acknowledged_at, "
            "n.responded_at AS responded_at, n.version AS version, "
            "rc.status AS recall_status, rc.reference AS reference "
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
    return row


async def _notice_lines(notice_id: int) -> list[_Line]:
    rows = await db.fetch(
        "SELECT l.id AS id, l.batch AS batch, b.batch_no AS batch_no, p.gtin AS gtin, "
        "l.quantity_on_hand AS quantity_on_hand, l.quantity_quarantined AS quantity_quarantined, "
        "l.quantity_returned AS quantity_returned, l.quantity_distributed AS quantity_distributed "
        "FROM notice_line l JOIN batch b ON b.id = l.batch JOIN product p ON p.id = b.product "
        "WHERE l.notice = {} ORDER BY l.id",
        notice_id,
    )
    return [
        _Line(
            int(row["id"]),
            int(row["batch"]),
            row["batch_no"],
            row["gtin"],
            _count(row["quantity_on_hand"]),
            _count(row["quantity_quarantined"]),
            int(row["quantity_returned"]),
            int(row["quantity_distributed"]),
        )
        for row in rows
    ]


def _line_of(lines: list[_Line], batch_no: str, field: str) -> _Line:
    matching = [line for line in lines if line.batch_no == batch_no]
    if not matching:
        raise InvalidInput(field, f"batch {batch_no} is not in this notice")
    if len(matching) > 1:
        raise InvalidInput(field, f"batch {batch_no} is in this notice for several products")
    return matching[0]


async def _mark_responded(notice_id: int, row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Move the notice to "responded" (acknowledging it too); old and new values for audit."""
    status = row["status"]
    if status in RESPONDABLE:
        status = NoticeStatus.RESPONDED.value
    acknowledged_at = db.as_utc(row["acknowledged_at"]) or now
    responded_at = db.as_utc(row["responded_at"]) or now
    # The version guard turns a concurrent change of the same notice into a conflict.
    changed = await db.fetch(
        "UPDATE notice SET status = {}, acknowledged_at = {}, responded_at = {}, "
        "last_contact_at = {}, version = version + 1 WHERE id = {} AND version = {} RETURNING id",
        status,
        acknowledged_at,
        responded_at,
        now,
        notice_id,
        row["version"],
    )
    if not changed:
        raise Conflict(f"notice {notice_id} changed meanwhile; send again")
    return {"status": status, "responded_at": responded_at.isoformat()}

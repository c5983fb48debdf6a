"""Creating a recall's notices in bulk, listing them, and counting its progress."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from recall import db
from recall.notices.models import (
    NoticeStatus,
    NoticeSummary,
    PlannedNotice,
    Progress,
)

# Rows per INSERT: many rows per statement, and well under both databases' parameter limits.
NOTICES_PER_INSERT = 1000
LINES_PER_INSERT = 2000


async def create_notices(
    recall_id: int,
    planned: Sequence[PlannedNotice],
    created_at: datetime,
    via_notice: int | None = None,
) -> list[int]:
    """Insert one pending notice per planned consignee, with its lines; run inside a transaction.

    Each notice gets its own unguessable portal token; `via_notice` is the notice of the
    consignee that named these as its customers (cascade). Returns the new notice ids.
    """
    if db.get_engine().current_transaction.get() is None:
        raise RuntimeError("create_notices must run inside the transaction that approves")
    notice_of: dict[int, int] = {}
    status = NoticeStatus.PENDING.value
    for start in range(0, len(planned), NOTICES_PER_INSERT):
        chunk = planned[start : start + NOTICES_PER_INSERT]
        values: list[Any] = []
        for notice in chunk:
            token = secrets.token_urlsafe(32)
            values += [
                recall_id, notice.consignee_id, notice.tier, status, token, created_at, via_notice
            ]  # fmt: skip
        rows = await db.fetch(
            "INSERT INTO notice (recall, consignee, tier, status, token, created_at, via_notice, "
            "reminders_sent, version) VALUES "
            + ", ".join(["({}, {}, {}, {}, {}, {}, {}, 0, 1)"] * len(chunk))
            + " "
            "RETURNING id, consignee",
            *values,
        )
        notice_of.update((int(row["consignee"]), int(row["id"])) for row in rows)
    lines = [
        (notice_of[notice.consignee_id], line.batch_id, line.quantity_distributed)
        for notice in planned
        for line in notice.lines
    ]
    for start in range(0, len(lines), LINES_PER_INSERT):
        chunk_lines = lines[start : start + LINES_PER_INSERT]
        await db.fetch(
            "INSERT INTO notice_line (notice, batch, quantity_distributed) VALUES "
            + ", ".join(["({}, {}, {})"] * len(chunk_lines)),
            *[value for line in chunk_lines for value in line],
        )
    return sorted(notice_of.values())


async def list_notices(
    recall_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[NoticeSummary], int]:
    """A recall's notices by tier, then consignee code, with what each consignee received."""
    rows = await db.fetch(
        "SELECT n.id AS id, c.code AS consignee_code, c.name AS consignee_name, n.tier AS tier, "
        "n.status AS status, n.acknowledged_at AS acknowledged_at, "
        "COALESCE((SELECT SUM(l.quantity_distributed) FROM notice_line l "
        "WHERE l.notice = n.id), 0) AS quantity_distributed "
        "FROM notice n JOIN consignee c ON c.id = n.consignee WHERE n.recall = {} "
        "ORDER BY n.tier, c.code, n.id LIMIT {} OFFSET {}",
        recall_id,
        limit,
        offset,
    )
    total = await db.fetch("SELECT COUNT(*) AS total FROM notice WHERE recall = {}", recall_id)
    items = [
        NoticeSummary(
            id=row["id"],
            consignee_code=row["consignee_code"],
            consignee_name=row["consignee_name"],
            tier=int(row["tier"]),
            status=row["status"],
            acknowledged_at=db.as_utc(row["acknowledged_at"]),
            quantity_distributed=int(row["quantity_distributed"]),
        )
        for row in rows
    ]
    return items, int(total[0]["total"])


# The deadline a notice must be answered by: our direct accounts and wholesalers (PBF)
# answer by "wholesale_complete", everyone else by "retail_complete" (or by
# "wholesale_complete" when the recall has no retail deadline). Needs aliases n (notice)
# and c (its consignee).
ANSWERS_AT_WHOLESALE_LEVEL = "(n.tier = 1 OR c.kind = 'pbf')"
RESPOND_BY = f"""(
    SELECT MIN(d.due_at) FROM recall_deadline d
    WHERE d.recall = n.recall AND d.name = COALESCE((
        SELECT MIN(r.name) FROM recall_deadline r
        WHERE r.recall = n.recall AND r.name = CASE WHEN {ANSWERS_AT_WHOLESALE_LEVEL}
                                                    THEN 'wholesale_complete'
                                                    ELSE 'retail_complete' END
    ), 'wholesale_complete')
)"""

# A notice is overdue when its response deadline passed without a response.
_OVERDUE = f"n.responded_at IS NULL AND {RESPOND_BY} < {{}}"


async def progress(recall_id: int, now: datetime) -> Progress:
    """Counters of one recall from its notices; quantities count tier 1 only.

    Lower tiers received their stock from a tier-1 consignee, so counting them too would
    count it twice. Destroyed counts what was destroyed on site at tier-1 consignees; returned
    stock destroyed at the plant already counts as returned.
    """
    counts = await db.fetch(
        "SELECT COUNT(*) AS consignees_total, COUNT(n.notified_at) AS notified, "
        "COUNT(n.acknowledged_at) AS acknowledged, COUNT(n.responded_at) AS responded, "
        f"COALESCE(SUM(CASE WHEN {_OVERDUE} THEN 1 ELSE 0 END), 0) AS overdue "
        "FROM notice n JOIN consignee c ON c.id = n.consignee WHERE n.recall = {}",
        now,
        recall_id,
    )
    distributed = await db.fetch(
        "SELECT COALESCE(SUM(l.quantity_distributed), 0) AS quantity, "
        "COALESCE(SUM(l.quantity_on_hand), 0) AS on_hand, "
        "COALESCE(SUM(l.quantity_returned), 0) AS returned "
        "FROM notice_line l JOIN notice n ON n.id = l.notice WHERE n.recall = {} AND n.tier = 1",
        recall_id,
    )
    destroyed = await db.fetch(
        "SELECT COALESCE(SUM(d.quantity), 0) AS quantity "
        "FROM destruction d JOIN notice n ON n.id = d.notice WHERE d.recall = {} AND n.tier = 1",
        recall_id,
    )
    row = counts[0]
    return Progress(
        consignees_total=int(row["consignees_total"]),
        notified=int(row["notified"]),
        acknowledged=int(row["acknowledged"]),
        responded=int(row["responded"]),
        overdue=int(row["overdue"]),
        quantity_distributed=int(distributed[0]["quantity"]),
        quantity_on_hand=int(distributed[0]["on_hand"]),
        quantity_returned=int(distributed[0]["returned"]),
        quantity_destroyed=int(destroyed[0]["quantity"]),
    )

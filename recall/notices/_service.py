"""Creating a recall's notices in bulk, listing them, and counting its progress."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from recall import db, regulatory
from recall.notices import _links as links
from recall.notices._models import (
    NoticeStatus,
    NoticeSummary,
    PlannedNotice,
)

# Columns of the bulk inserts, with their PostgreSQL types (see db.insert_many).
NOTICE_COLUMNS = (
    ("recall", "int"), ("consignee", "int"), ("tier", "int"), ("status", "text"),
    ("token", "text"), ("token_sealed", "text"), ("created_at", "timestamptz"),
    ("via_notice", "int"), ("reminders_sent", "int"), ("version", "int"), ("market", "text"),
    ("amendment", "int"),
)  # fmt: skip
LINE_COLUMNS = (
    ("notice", "int"), ("recall", "int"), ("tier", "int"), ("batch", "int"),
    ("quantity_distributed", "int"),
)  # fmt: skip


async def create_notices(
    recall_id: int,
    planned: Sequence[PlannedNotice],
    created_at: datetime,
    via_notice: int | None = None,
    amendment: int | None = None,
    skip_opened: bool = False,
) -> list[int]:
    """Insert one pending notice per planned consignee, with its lines; run inside a transaction.

    Each notice gets its own unguessable portal token (stored hashed and sealed);
    `via_notice` is the notice of the consignee that named these as its customers
    (cascade); `amendment` the scope amendment that reached them. With `skip_opened`, a
    consignee that has a notice of the recall already is left out instead of refused.
    Returns the new notice ids.
    """
    if not db.in_transaction():
        raise RuntimeError("create_notices must run inside the transaction that approves")
    status = NoticeStatus.PENDING.value
    tokens = [links.new_token()[1:] for _ in planned]  # stored: the hash and the sealed token
    market = await markets_of(recall_id, [notice.consignee_id for notice in planned])
    rows = await db.insert_many(
        "notice",
        NOTICE_COLUMNS,
        [
            (recall_id, notice.consignee_id, notice.tier, status, hashed, sealed,
             created_at, via_notice, 0, 1, market.get(notice.consignee_id), amendment)
            for notice, (hashed, sealed) in zip(planned, tokens, strict=True)
        ],
        ("ON CONFLICT (recall, consignee) DO NOTHING " if skip_opened else "")
        + "RETURNING id, consignee",
    )  # fmt: skip
    notice_of = {int(row["consignee"]): int(row["id"]) for row in rows}
    await insert_lines(
        [
            (notice_of[notice.consignee_id], recall_id, notice.tier, line.batch_id,
             line.quantity_distributed)
            for notice in planned
            if notice.consignee_id in notice_of
            for line in notice.lines
        ],
        amendment,
    )  # fmt: skip
    return sorted(notice_of.values())


async def markets_of(recall_id: int, consignee_ids: Sequence[int]) -> dict[int, str]:
    """The market (profile) of each consignee by its country, when the recall runs under
    several profiles; empty when it runs under one. One read of the consignees' countries."""
    recall = await db.fetch("SELECT profiles FROM recall WHERE id = {}", recall_id)
    profiles = json.loads(recall[0]["profiles"]) if recall and recall[0]["profiles"] else []
    if len(profiles) < 2 or not consignee_ids:
        return {}
    rows = await db.fetch_in(
        "SELECT id, country FROM consignee WHERE id IN (*)", sorted(set(consignee_ids))
    )
    countries = {row["country"] for row in rows}
    market = {country: regulatory.market_of(profiles, country) for country in countries}
    return {int(row["id"]): market[row["country"]] for row in rows}


async def insert_lines(
    lines: Sequence[tuple[int, int, int, int, int]],
    amendment: int | None = None,
    added_at: datetime | None = None,
) -> None:
    """Insert notice lines: (notice, its recall, its tier, batch, quantity distributed); with
    the scope amendment that added them and, for lines added to a notice already out, when."""
    if amendment is None and added_at is None:
        await db.insert_many("notice_line", LINE_COLUMNS, lines)
        return
    columns = (*LINE_COLUMNS, ("amendment", "int"), ("added_at", "timestamptz"))
    await db.insert_many("notice_line", columns, [(*line, amendment, added_at) for line in lines])


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
# "wholesale_complete" when the recall has no retail deadline), both of the notice's market
# (the earliest of any profile's for a notice without one), of the notice's scope (the
# approved one, or the scope amendment that reached it). Needs aliases n (notice) and c
# (its consignee).
ANSWERS_AT_WHOLESALE_LEVEL = "(n.tier = 1 OR c.kind = 'pbf')"
RESPOND_BY = f"""(
    SELECT MIN(d.due_at) FROM recall_deadline d
    WHERE d.recall = n.recall AND (n.market IS NULL OR d.profile = n.market)
    AND (d.amendment = n.amendment OR (d.amendment IS NULL AND n.amendment IS NULL))
    AND d.name = COALESCE((
        SELECT MIN(r.name) FROM recall_deadline r
        WHERE r.recall = n.recall AND (n.market IS NULL OR r.profile = n.market)
        AND (r.amendment = n.amendment OR (r.amendment IS NULL AND n.amendment IS NULL))
        AND r.name = CASE WHEN {ANSWERS_AT_WHOLESALE_LEVEL}
                          THEN 'wholesale_complete'
                          ELSE 'retail_complete' END
    ), 'wholesale_complete')
)"""


def _passed(due: dict[str, datetime], now: datetime) -> tuple[bool, bool]:
    wholesale = due.get("wholesale_complete")
    retail = due.get("retail_complete", wholesale)
    return wholesale is not None and wholesale < now, retail is not None and retail < now


async def response_deadlines(recall_id: int) -> dict[str | None, dict[str, datetime]]:
    """The recall's wholesale/retail complete deadlines per profile, and under None the
    earliest of any profile's (what notices without a market answer by); of the approved
    scope (a scope amendment's run later)."""
    rows = await db.fetch(
        "SELECT profile, name, MIN(due_at) AS due_at FROM recall_deadline WHERE recall = {} "
        "AND name IN ('wholesale_complete', 'retail_complete') AND amendment IS NULL "
        "GROUP BY profile, name",
        recall_id,
    )
    return by_market(rows)


def by_market(rows: Iterable[Mapping[str, Any]]) -> dict[str | None, dict[str, datetime]]:
    """Deadline rows (profile, name, due_at) by profile, and under None the earliest of any
    profile's per name."""
    found: dict[str | None, dict[str, datetime]] = {None: {}}
    for row in rows:
        due = db.as_utc(row["due_at"])
        if row["profile"] is not None:
            found.setdefault(row["profile"], {})[row["name"]] = due
        earliest = found[None].get(row["name"])
        found[None][row["name"]] = due if earliest is None else min(earliest, due)
    return found


async def deadlines_passed(recall_id: int, now: datetime) -> tuple[bool, bool]:
    """Whether the earliest respond-by of wholesale-level and of retail-level notices (of
    any market) has passed: the same rule as RESPOND_BY, decided once per recall."""
    return _passed((await response_deadlines(recall_id))[None], now)

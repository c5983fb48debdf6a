"""How a recall's notices stand, for its dashboard: per tier, one page of consignees, failures.

Read-only and counted in the database, so a recall with tens of thousands of notices reads
as fast as a small one: only the page of rows asked for leaves the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recall import db
from recall.notices._delivery_schedule import DeliveryStatus, Message
from recall.notices._models import NoticeStatus, is_overdue
from recall.notices._progress import tier_progress
from recall.notices._service import RESPOND_BY, deadlines_passed
from recall.rules import choice

SEARCH_MAX = 100
FAILURES_LISTED = 50

# Needs aliases n (notice) and c (its consignee), and the moment "now" as a parameter.
_OVERDUE = f"(n.responded_at IS NULL AND {RESPOND_BY} < {{}})"


@dataclass(frozen=True)
class ConsigneeFilter:
    """Which notices of a recall to show: by status, tier, overdue, name or code."""

    status: str | None = None
    tier: int | None = None
    overdue_only: bool = False
    search: str | None = None


@dataclass(frozen=True)
class ConsigneeRow:
    """One consignee's notice as the dashboard's table shows it."""

    notice_id: int
    code: str
    name: str
    kind: str
    tier: int
    has_webhook: bool
    has_email: bool
    phone: str | None
    status: str
    overdue: bool
    respond_by: datetime | None
    notified_at: datetime | None
    acknowledged_at: datetime | None
    responded_at: datetime | None
    last_contact_at: datetime | None
    quantity_distributed: int
    quantity_on_hand: int | None  # None: never reported
    quantity_returned: int
    quantity_destroyed: int

    @property
    def quantity_unaccounted(self) -> int:
        # Never reported on hand counts as none held, as in the reconciliation.
        return (
            self.quantity_distributed
            - (self.quantity_on_hand or 0)
            - self.quantity_returned
            - self.quantity_destroyed
        )


@dataclass(frozen=True)
class DeliveryFailure:
    """A notice no channel could deliver, with each channel's last error."""

    notice_id: int
    code: str
    name: str
    tier: int
    phone: str | None
    reasons: list[tuple[str, str]]  # (channel, last error); empty: no address at all


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _where(recall_id: int, shown: ConsigneeFilter, now: datetime) -> tuple[str, list[Any]]:
    conditions: list[str] = ["n.recall = {}"]
    values: list[Any] = [recall_id]
    if shown.status:
        conditions.append("n.status = {}")
        values.append(choice(NoticeStatus, shown.status, "status").value)
    if shown.tier is not None:
        conditions.append("n.tier = {}")
        values.append(shown.tier)
    if shown.overdue_only:
        conditions.append(_OVERDUE)
        values.append(now)
    search = (shown.search or "").strip()[:SEARCH_MAX]
    if search:
        conditions.append(
            "(LOWER(c.code) LIKE {} ESCAPE '\\' OR LOWER(c.name) LIKE {} ESCAPE '\\')"
        )
        values += [_like(search), _like(search)]
    return " AND ".join(conditions), values


async def consignee_rows(
    recall_id: int,
    shown: ConsigneeFilter,
    now: datetime,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[ConsigneeRow], int]:
    """One page of a recall's notices by tier, then consignee code (all with limit=None),
    and how many match; quantities are summed only for the rows returned."""
    if shown.overdue_only and not any(await deadlines_passed(recall_id, now)):
        return [], 0
    where, values = _where(recall_id, shown, now)
    page = "" if limit is None else f"LIMIT {int(limit)} OFFSET {int(offset)}"
    # The page of notices is chosen first, so sums and deadlines run for its rows only.
    rows = await db.fetch(
        "SELECT n.id AS id, c.code AS code, c.name AS name, c.kind AS kind, n.tier AS tier, "
        "c.webhook_url AS webhook_url, c.email AS email, c.phone AS phone, n.status AS status, "
        f"n.notified_at AS notified_at, n.acknowledged_at AS acknowledged_at, "
        "n.responded_at AS responded_at, n.last_contact_at AS last_contact_at, "
        f"{RESPOND_BY} AS respond_by, "
        "COALESCE((SELECT SUM(l.quantity_distributed) FROM notice_line l WHERE l.notice = n.id),"
        " 0) AS distributed, "
        "(SELECT SUM(l.quantity_on_hand) FROM notice_line l WHERE l.notice = n.id) AS on_hand, "
        "COALESCE((SELECT SUM(l.quantity_returned) FROM notice_line l WHERE l.notice = n.id), 0)"
        " AS returned, "
        "COALESCE((SELECT SUM(d.quantity) FROM destruction d WHERE d.notice = n.id), 0)"
        " AS destroyed "
        "FROM notice n JOIN consignee c ON c.id = n.consignee WHERE n.id IN ("
        "SELECT n.id FROM notice n JOIN consignee c ON c.id = n.consignee "
        f"WHERE {where} ORDER BY n.tier, c.code, n.id {page}) "
        "ORDER BY n.tier, c.code, n.id",
        *values,
    )
    return [_row(row, now) for row in rows], await _matching(recall_id, shown, now, where, values)


async def _matching(
    recall_id: int, shown: ConsigneeFilter, now: datetime, where: str, values: list[Any]
) -> int:
    """How many notices the filter matches: by tier and overdue from the recall's counters,
    by status or name counted."""
    if not shown.status and not (shown.search or "").strip():
        tiers = [t for t in await tier_progress(recall_id, now) if shown.tier in (None, t.tier)]
        return sum(t.overdue if shown.overdue_only else t.consignees_total for t in tiers)
    total = await db.fetch(
        f"SELECT COUNT(*) AS n FROM notice n JOIN consignee c ON c.id = n.consignee WHERE {where}",
        *values,
    )
    return int(total[0]["n"])


def _row(row: Mapping[str, Any], now: datetime) -> ConsigneeRow:
    respond_by = db.as_utc(row["respond_by"]) if row["respond_by"] is not None else None
    responded_at = db.as_utc(row["responded_at"])
    return ConsigneeRow(
        notice_id=int(row["id"]),
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        tier=int(row["tier"]),
        has_webhook=bool(row["webhook_url"]),
        has_email=bool(row["email"]),
        phone=row["phone"],
        status=row["status"],
        overdue=is_overdue(responded_at, respond_by, now),
        respond_by=respond_by,
        notified_at=db.as_utc(row["notified_at"]),
        acknowledged_at=db.as_utc(row["acknowledged_at"]),
        responded_at=responded_at,
        last_contact_at=db.as_utc(row["last_contact_at"]),
        quantity_distributed=int(row["distributed"]),
        quantity_on_hand=None if row["on_hand"] is None else int(row["on_hand"]),
        quantity_returned=int(row["returned"]),
        quantity_destroyed=int(row["destroyed"]),
    )


async def delivery_failures(
    recall_id: int, limit: int = FAILURES_LISTED
) -> tuple[list[DeliveryFailure], int]:
    """Notices of a recall that no channel could deliver, by consignee code, with the reasons."""
    rows = await db.fetch(
        "SELECT n.id AS id, c.code AS code, c.name AS name, n.tier AS tier, c.phone AS phone "
        "FROM notice n JOIN consignee c ON c.id = n.consignee "
        "WHERE n.recall = {} AND n.status = {} ORDER BY c.code, n.id LIMIT {}",
        recall_id,
        NoticeStatus.FAILED.value,
        limit,
    )
    total = await db.fetch(
        "SELECT COUNT(*) AS n FROM notice WHERE recall = {} AND status = {}",
        recall_id,
        NoticeStatus.FAILED.value,
    )
    reasons = await _failed_channels([int(row["id"]) for row in rows])
    failures = [
        DeliveryFailure(
            notice_id=int(row["id"]),
            code=row["code"],
            name=row["name"],
            tier=int(row["tier"]),
            phone=row["phone"],
            reasons=reasons.get(int(row["id"]), []),
        )
        for row in rows
    ]
    return failures, int(total[0]["n"])


async def _failed_channels(notice_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    if not notice_ids:
        return {}
    rows = await db.fetch_in(
        "SELECT notice, channel, last_error FROM delivery "
        "WHERE notice IN (*) AND message = {} AND status = {} ORDER BY notice, channel",
        notice_ids,
        Message.NOTICE.value,
        DeliveryStatus.FAILED.value,
    )
    found: dict[int, list[tuple[str, str]]] = {}
    for row in rows:
        found.setdefault(int(row["notice"]), []).append((row["channel"], row["last_error"] or ""))
    return found


async def response_counts(recall_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(notices, responded) of each recall in `recall_ids`, for a list's progress column."""
    if not recall_ids:
        return {}
    rows = await db.fetch_in(
        "SELECT recall, COUNT(*) AS total, COUNT(responded_at) AS responded FROM notice "
        "WHERE recall IN (*) GROUP BY recall",
        recall_ids,
    )
    return {int(row["recall"]): (int(row["total"]), int(row["responded"])) for row in rows}

"""Reading complaints: one, a list, history, duplicates and trends (changes: _lifecycle)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from recall import audit, clock, db, masterdata
from recall.complaints._models import (
    DUPLICATE_WINDOW_DAYS,
    UNTRIAGED,
    BatchCount,
    Category,
    Complaint,
    ComplaintReply,
    ComplaintStatus,
    ComplaintTrends,
    MonthCount,
    PossibleDuplicate,
    Reporter,
    check_batch_no,
    excerpt,
    trend_window,
)
from recall.complaints._obligations import obligation_condition
from recall.errors import Conflict, InvalidInput, NotFound
from recall.rules import MAX_ID, choice, is_valid_id

LIKE_ESCAPE = "!"
MAX_DUPLICATES = 50
SEARCH_MAX = 200

# A complaint with its product's name and strength (when it names a known product).
_COLUMNS = "complaint.*, product.name AS product_name, product.strength AS product_strength"
_FROM = "complaint LEFT JOIN product ON product.id = complaint.product"


def _complaint(row: Mapping[str, Any], replies: tuple[ComplaintReply, ...] = ()) -> Complaint:
    return Complaint(
        id=row["id"],
        reference=row["reference"],
        status=row["status"],
        channel=row["channel"],
        reporter=Reporter(
            name=row["reporter_name"],
            kind=row["reporter_kind"],
            organization=row["reporter_organization"],
            contact=row["reporter_contact"],
        ),
        product_id=row["product"],
        product_name=row["product_name"],
        product_strength=row["product_strength"],
        gtin=row["gtin"],
        batch_id=row["batch"],
        batch_no=row["batch_no"],
        expires_on=row["expires_on"],
        serial=row["serial"],
        barcode=row["barcode"],
        description=row["description"],
        adverse_event=bool(row["adverse_event"]),
        sample_available=bool(row["sample_available"]),
        category=row["category"],
        severity=row["severity"],
        received_at=db.as_utc(row["received_at"]),
        created_by=row["created_by"],
        version=row["version"],
        investigate=None if row["investigate"] is None else bool(row["investigate"]),
        triage_reason=row["triage_reason"],
        pharmacovigilance=bool(row["pharmacovigilance"]),
        triaged_at=db.as_utc(row["triaged_at"]),
        field_alert_due_at=db.as_utc(row["field_alert_due_at"]),
        investigation_id=row["investigation"],
        closed_at=db.as_utc(row["closed_at"]),
        resolution=row["resolution"],
        replies=replies,
    )


def _no_nul(value: str | None, field: str) -> None:
    # PostgreSQL text cannot hold NUL; refuse it as bad input rather than fail later.
    if value and "\x00" in value:
        raise InvalidInput(field, "must not contain NUL characters")


async def get_complaint(complaint_id: int) -> Complaint:
    """One complaint with its replies; NotFound when there is none with this id."""
    if not is_valid_id(complaint_id):
        raise NotFound(f"complaint {complaint_id} not found")
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM {_FROM} WHERE complaint.id = {{}}", complaint_id)
    if not rows:
        raise NotFound(f"complaint {complaint_id} not found")
    complaint = _complaint(rows[0], await _replies(complaint_id))
    retain_until = await masterdata.batches_retain_until([complaint.batch_id])
    return replace(complaint, retain_until=retain_until)


async def _replies(complaint_id: int) -> tuple[ComplaintReply, ...]:
    rows = await db.fetch(
        "SELECT complaint_reply.text, complaint_reply.replied_at, "
        "app_user.full_name, app_user.username "
        "FROM complaint_reply LEFT JOIN app_user ON app_user.id = complaint_reply.replied_by "
        "WHERE complaint_reply.complaint = {} ORDER BY complaint_reply.id",
        complaint_id,
    )
    return tuple(
        ComplaintReply(
            text=row["text"],
            replied_at=db.as_utc(row["replied_at"]),
            replied_by_name=row["full_name"] or row["username"] or "unknown",
        )
        for row in rows
    )


def _changed_meanwhile(complaint: Complaint) -> Conflict:
    return Conflict(f"complaint {complaint.reference} was changed meanwhile; reload and try again")


def _like_pattern(search: str) -> str:
    """`%search%` in lower case with LIKE's wildcards in the user's text escaped."""
    escaped = search.lower()
    for special in (LIKE_ESCAPE, "%", "_"):
        escaped = escaped.replace(special, LIKE_ESCAPE + special)
    return f"%{escaped}%"


def _search(search: str) -> tuple[str, list[str]]:
    pattern = _like_pattern(search)
    like = f"LIKE {{}} ESCAPE '{LIKE_ESCAPE}'"
    columns = ("reference", "description", "reporter_name", "reporter_organization", "batch_no")
    clauses = [f'LOWER("complaint"."{column}") {like}' for column in columns]
    clauses.append(f'"complaint"."product" IN (SELECT id FROM product WHERE LOWER(name) {like})')
    return "(" + " OR ".join(clauses) + ")", [pattern] * len(clauses)


async def list_complaints(
    status: str | None = None,
    batch_no: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    *,
    category: str | None = None,
    pharmacovigilance: bool | None = None,
    obligation: str | None = None,
) -> tuple[list[Complaint], int]:
    """Complaints newest first, filtered by status, batch, category, pharmacovigilance, an
    open obligation (due: within a day or past; overdue: past due) and text."""
    if offset > MAX_ID:
        raise InvalidInput("offset", f"at most {MAX_ID}")  # larger values overflow the database
    where: list[tuple[str, list[Any]]] = []
    if status:
        where.append(("complaint.status = {}", [choice(ComplaintStatus, status, "status").value]))
    if category:
        where.append(("complaint.category = {}", [choice(Category, category, "category").value]))
    if pharmacovigilance is not None:
        where.append(("complaint.pharmacovigilance = {}", [pharmacovigilance]))
    if obligation:
        where.append(obligation_condition(obligation, clock.now().astimezone(UTC)))
    if batch_no and batch_no.strip():
        _no_nul(batch_no, "batch_no")
        where.append(("complaint.batch_no = {}", [check_batch_no(batch_no)]))
    if q and q.strip():
        _no_nul(q, "q")
        if len(q.strip()) > SEARCH_MAX:
            raise InvalidInput("q", f"at most {SEARCH_MAX} characters")
        where.append(_search(q.strip()))
    return await page_of_complaints(where, limit, offset)


async def page_of_complaints(
    conditions: list[tuple[str, list[Any]]], limit: int, offset: int
) -> tuple[list[Complaint], int]:
    """Complaints meeting every (condition, values), newest first, and how many in all."""
    where, values = db.where(*conditions)
    rows, total = await db.fetch_page(
        _COLUMNS,
        _FROM + where,
        "complaint.received_at DESC, complaint.id DESC",
        values,
        limit,
        offset,
    )
    return [_complaint(row) for row in rows], total


async def complaint_history(complaint_id: int) -> list[audit.Entry]:
    """The audit entries of one complaint, oldest first."""
    return await audit.history("complaint", complaint_id)


async def possible_duplicates(complaint: Complaint) -> list[PossibleDuplicate]:
    """Other complaints on the same batch within the window (and same category, once set)."""
    if complaint.batch_no is None:
        return []
    window = timedelta(days=DUPLICATE_WINDOW_DAYS)
    # Same GTIN + batch number is the same batch when we know it, and still matches when we don't.
    where, values = db.where(
        ("id <> {}", [complaint.id]),
        ("batch_no = {}", [complaint.batch_no]),
        ("gtin = {}", [complaint.gtin]) if complaint.gtin else ("gtin IS NULL", []),
        ("received_at >= {}", [complaint.received_at - window]),
        ("received_at <= {}", [complaint.received_at + window]),
        ("category = {}", [complaint.category]) if complaint.category else ("", []),
    )
    rows = await db.fetch(
        "SELECT id, reference, received_at, status, category, description FROM complaint"
        + where
        + " ORDER BY received_at LIMIT {}",
        *values,
        MAX_DUPLICATES,
    )
    return [
        PossibleDuplicate(
            id=row["id"],
            reference=row["reference"],
            received_at=db.as_utc(row["received_at"]),
            status=row["status"],
            category=row["category"],
            description_excerpt=excerpt(row["description"]),
        )
        for row in rows
    ]


async def complaint_trends(start: date | None = None, end: date | None = None) -> ComplaintTrends:
    """Complaint counts per month, category and product, and per batch, received in [start, end].

    Months are UTC calendar months; by default the twelve months up to today.
    """
    first, last = trend_window(start, end, clock.now().astimezone(UTC).date())
    since = datetime.combine(first, time.min, UTC)
    window = "complaint.received_at >= {}"
    bounds: list[Any] = [since]
    if last < date.max:
        window += " AND complaint.received_at < {}"
        bounds.append(datetime.combine(last + timedelta(days=1), time.min, UTC))
    by_month = await db.fetch(
        f"SELECT {db.utc_month('complaint.received_at')} AS month, "
        f"COALESCE(complaint.category, '{UNTRIAGED}') AS category, "
        "complaint.product AS product_id, product.name AS product, COUNT(*) AS complaints "
        "FROM complaint LEFT JOIN product ON product.id = complaint.product "
        f"WHERE {window} GROUP BY 1, 2, 3, 4",
        *bounds,
    )
    by_batch = await db.fetch(
        "SELECT complaint.batch_no, complaint.gtin, complaint.product AS product_id, "
        "product.name AS product, COUNT(*) AS complaints "
        "FROM complaint LEFT JOIN product ON product.id = complaint.product "
        f"WHERE complaint.batch_no IS NOT NULL AND {window} "
        "GROUP BY complaint.batch_no, complaint.gtin, complaint.product, product.name",
        *bounds,
    )
    months = [
        MonthCount(
            month=row["month"],
            category=row["category"],
            product_id=row["product_id"],
            product=row["product"],
            count=int(row["complaints"]),
        )
        for row in by_month
    ]
    batches = [
        BatchCount(
            batch_no=row["batch_no"],
            gtin=row["gtin"],
            product_id=row["product_id"],
            product=row["product"],
            count=int(row["complaints"]),
        )
        for row in by_batch
    ]
    # Sorted here: the two databases place NULLs differently in ORDER BY.
    months.sort(key=lambda m: (m.month, m.category, m.product or "", m.product_id or 0))
    batches.sort(key=lambda b: (-b.count, b.batch_no, b.gtin or "", b.product_id or 0))
    return ComplaintTrends(by_month=months, by_batch=batches, start=first, end=last)

"""Use cases of complaints: log, triage, reply, close, list, read, duplicates and trends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.engine.sqlite import SQLiteEngine

from recall import audit, clock, db, masterdata, regulatory
from recall.auth import Actor
from recall.complaints import tables
from recall.complaints.models import (
    CONTACT_MAX,
    DESCRIPTION_MAX,
    DUPLICATE_WINDOW_DAYS,
    NAME_MAX,
    REFERENCES,
    REPLY_MAX,
    RESOLUTION_MAX,
    UNTRIAGED,
    BatchCount,
    Category,
    Channel,
    Complaint,
    ComplaintReply,
    ComplaintStatus,
    ComplaintTrends,
    MonthCount,
    PossibleDuplicate,
    Reporter,
    ReporterKind,
    check_batch_no,
    check_closable,
    check_reply_allowed,
    decide_triage,
    earliest,
    excerpt,
    identify_pack,
    transition,
    trend_window,
)
from recall.errors import Conflict, InvalidInput, NotFound
from recall.rules import MAX_ID, choice, is_valid_id, text
from recall.settings import get_settings

LIKE_ESCAPE = "!"
MAX_DUPLICATES = 50
SEARCH_MAX = 200

_T = tables.Complaint
_COLUMNS = (*_T.all_columns(), _T.product.name, _T.product.strength)


# The columns log_complaint writes.
_INTAKE_COLUMNS = (
    "channel", "reporter_name", "reporter_kind", "reporter_organization", "reporter_contact",
    "description", "adverse_event", "sample_available", "gtin", "product", "batch_no", "batch",
    "expires_on", "serial", "barcode", "received_at", "status", "pharmacovigilance",
    "created_by", "version", "reference",
)  # fmt: skip


_INSERT = (
    f"INSERT INTO complaint ({', '.join(_INTAKE_COLUMNS)}) "
    f"VALUES ({', '.join(['{}'] * len(_INTAKE_COLUMNS))}) RETURNING id"
)
_AUDITED_AT_INTAKE = frozenset(_INTAKE_COLUMNS) - {
    "product", "batch", "received_at", "pharmacovigilance", "created_by", "version"
}  # fmt: skip


def _complaint(row: dict[str, Any], replies: tuple[ComplaintReply, ...] = ()) -> Complaint:
    received_at = row["received_at"]
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
        product_name=row.get("product.name"),
        product_strength=row.get("product.strength"),
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
        received_at=received_at.astimezone(UTC),
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


async def log_complaint(
    actor: Actor,
    *,
    channel: str,
    reporter: Reporter,
    description: str,
    adverse_event: bool,
    sample_available: bool,
    gtin: str | None = None,
    batch_no: str | None = None,
    barcode: str | None = None,
    received_at: datetime | None = None,
) -> Complaint:
    """Record a complaint as received; a GS1 scan in `barcode` fills product, batch and expiry.

    A batch number we never made is accepted and flagged, never refused: the
    complaint may be about a counterfeit, which is exactly what must be recorded.
    """
    for field, value in (
        ("gtin", gtin),
        ("batch_no", batch_no),
        ("barcode", barcode),
    ):
        _no_nul(value, field)
    values: dict[str, Any] = {
        "channel": choice(Channel, channel, "channel").value,
        "reporter_name": text(reporter.name, "reporter.name", NAME_MAX),
        "reporter_kind": choice(ReporterKind, reporter.kind, "reporter.kind").value,
        "reporter_organization": text(
            reporter.organization, "reporter.organization", NAME_MAX, required=False
        ),
        "reporter_contact": text(reporter.contact, "reporter.contact", CONTACT_MAX, required=False),
        "description": text(description, "description", DESCRIPTION_MAX),
        "adverse_event": bool(adverse_event),
        "sample_available": bool(sample_available),
    }
    if received_at is None:
        received_at = clock.now()
    elif received_at.tzinfo is None:
        raise InvalidInput("received_at", "must include a time zone")
    received_at = received_at.astimezone(UTC)

    pack = identify_pack(gtin, batch_no, barcode)
    product = (
        await masterdata.product_by_gtin(pack.gtin, field=pack.gtin_field) if pack.gtin else None
    )
    batch = (
        await masterdata.find_batch(product.gtin, pack.batch_no)
        if product is not None and pack.batch_no
        else None
    )
    values.update(
        gtin=pack.gtin,
        product=product.id if product else None,
        batch_no=pack.batch_no,
        batch=batch.id if batch else None,
        expires_on=pack.expires_on or (batch.expires_on if batch else None),
        serial=pack.serial,
        barcode=barcode.strip() if barcode and barcode.strip() else None,
        received_at=received_at,
        status=ComplaintStatus.RECEIVED.value,
        # Pharmacovigilance clocks start at receipt, not at triage.
        pharmacovigilance=values["adverse_event"],
        created_by=actor.id,
        version=1,
    )

    async with db.transaction():
        values["reference"] = reference = await db.next_reference(REFERENCES, received_at)
        inserted = await db.fetch(_INSERT, *(values[column] for column in _INTAKE_COLUMNS))
        complaint_id = int(inserted[0]["id"])
        new = {
            **{key: value for key, value in values.items() if key in _AUDITED_AT_INTAKE},
            "product_id": values["product"],
            "batch_id": values["batch"],
            "received_at": received_at.isoformat(),
        }
        await audit.record(actor, audit.Change("complaint", complaint_id, "created", new=new))

    return Complaint(
        id=complaint_id,
        reference=reference,
        status=ComplaintStatus.RECEIVED.value,
        channel=values["channel"],
        reporter=Reporter(
            values["reporter_name"],
            values["reporter_kind"],
            values["reporter_organization"],
            values["reporter_contact"],
        ),
        product_id=product.id if product else None,
        product_name=product.name if product else None,
        product_strength=product.strength if product else None,
        gtin=pack.gtin,
        batch_id=values["batch"],
        batch_no=pack.batch_no,
        expires_on=values["expires_on"],
        serial=pack.serial,
        barcode=values["barcode"],
        description=values["description"],
        adverse_event=values["adverse_event"],
        sample_available=values["sample_available"],
        category=None,
        severity=None,
        received_at=received_at,
        created_by=actor.id,
        version=1,
        pharmacovigilance=values["adverse_event"],
    )


async def get_complaint(complaint_id: int) -> Complaint:
    """One complaint with its replies; NotFound when there is none with this id."""
    if not is_valid_id(complaint_id):
        raise NotFound(f"complaint {complaint_id} not found")
    row = await _T.select(*_COLUMNS).where(_T.id == complaint_id).first()
    if row is None:
        raise NotFound(f"complaint {complaint_id} not found")
    return _complaint(row, await _replies(complaint_id))


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


async def triage_complaint(
    actor: Actor,
    complaint_id: int,
    *,
    category: str,
    severity: str,
    investigate: bool,
    reason: str | None = None,
) -> Complaint:
    """QA's triage of a received complaint: category, severity, and whether to investigate.

    Not investigating needs a reason (21 CFR 211.198). Adverse events are flagged
    for pharmacovigilance; under the FDA profile a Field Alert category gets its
    reporting deadline. A complaint is triaged once; a concurrent triage gets Conflict.
    """
    complaint = await get_complaint(complaint_id)
    decision = decide_triage(
        category, severity, investigate, reason, adverse_event=complaint.adverse_event
    )
    transition(complaint.status, ComplaintStatus.TRIAGED)
    field_alert_due_at = earliest(
        regulatory.field_alert_due(profile, decision.category.value, complaint.received_at)
        for profile in get_settings().complaint_profiles
    )
    now = clock.now()
    new: dict[Column | str, Any] = {
        "status": ComplaintStatus.TRIAGED.value,
        "category": decision.category.value,
        "severity": decision.severity.value,
        "investigate": decision.investigate,
        "triage_reason": decision.reason,
        "pharmacovigilance": decision.pharmacovigilance,
        "field_alert_due_at": field_alert_due_at,
    }
    old: dict[Column | str, Any] = {
        "status": complaint.status,
        "category": complaint.category,
        "severity": complaint.severity,
        "investigate": complaint.investigate,
        "triage_reason": complaint.triage_reason,
        "pharmacovigilance": complaint.pharmacovigilance,
        "field_alert_due_at": complaint.field_alert_due_at,
    }
    async with db.transaction():
        changed = await (
            _T.update(
                {
                    **new,
                    _T.triaged_at: now,
                    _T.triaged_by: actor.id,
                    _T.version: _T.version + 1,
                }
            )
            .where(
                _T.id == complaint.id,
                _T.version == complaint.version,
                _T.status == ComplaintStatus.RECEIVED.value,
            )
            .returning(_T.id)
        )
        if not changed:
            raise _changed_meanwhile(complaint)
        await audit.record(
            actor,
            audit.Change(
                "complaint",
                complaint.id,
                "triaged",
                old=_audited(old),
                new=_audited(new),
                reason=decision.reason or "",
            ),
        )
    return await get_complaint(complaint.id)


def _audited(values: dict[Column | str, Any]) -> dict[str, Any]:
    return {
        str(key): value.isoformat() if isinstance(value, datetime) else value
        for key, value in values.items()
    }


async def reply_to_complaint(actor: Actor, complaint_id: int, message: str) -> Complaint:
    """Record what we told the complainant; a closed complaint takes no more replies."""
    reply_text = text(message, "text", REPLY_MAX)
    complaint = await get_complaint(complaint_id)
    check_reply_allowed(complaint.status)
    async with db.transaction():
        # A no-op update takes the row's lock, so a close committed meanwhile is seen here.
        still_open = await db.fetch(
            "UPDATE complaint SET version = version WHERE id = {} AND status <> {} RETURNING id",
            complaint.id,
            ComplaintStatus.CLOSED.value,
        )
        if not still_open:
            raise Conflict("a closed complaint takes no more replies")
        reply = tables.ComplaintReply(
            complaint=complaint.id, text=reply_text, replied_at=clock.now(), replied_by=actor.id
        )
        await reply.save()
        await audit.record(
            actor,
            audit.Change(
                "complaint", complaint.id, "replied", new={"reply_id": reply.id, "text": reply_text}
            ),
        )
    return await get_complaint(complaint.id)


async def _investigation_status(investigation_id: int | None) -> str | None:
    if investigation_id is None:
        return None
    rows = await db.fetch("SELECT status FROM investigation WHERE id = {}", investigation_id)
    return str(rows[0]["status"]) if rows else None


async def close_complaint(actor: Actor, complaint_id: int, resolution: str) -> Complaint:
    """Close a triaged complaint not under investigation, or one whose investigation concluded."""
    outcome = text(resolution, "resolution", RESOLUTION_MAX)
    complaint = await get_complaint(complaint_id)
    now = clock.now()
    async with db.transaction():
        investigation_status = await _investigation_status(complaint.investigation_id)
        closed = check_closable(complaint.status, complaint.investigate, investigation_status)
        changed = await (
            _T.update(
                {
                    _T.status: closed.value,
                    _T.closed_at: now,
                    _T.resolution: outcome,
                    _T.version: _T.version + 1,
                }
            )
            .where(
                _T.id == complaint.id,
                _T.version == complaint.version,
                _T.status == complaint.status,
            )
            .returning(_T.id)
        )
        if not changed:
            raise _changed_meanwhile(complaint)
        await audit.record(
            actor,
            audit.Change(
                "complaint",
                complaint.id,
                "closed",
                old={"status": complaint.status, "resolution": complaint.resolution},
                new={
                    "status": closed.value,
                    "resolution": outcome,
                    "closed_at": now.isoformat(),
                },
                reason=outcome or "",
            ),
        )
    return await get_complaint(complaint.id)


def _like_pattern(search: str) -> str:
    """`%search%` in lower case with LIKE's wildcards in the user's text escaped."""
    escaped = search.lower()
    for special in (LIKE_ESCAPE, "%", "_"):
        escaped = escaped.replace(special, LIKE_ESCAPE + special)
    return f"%{escaped}%"


def _search(search: str) -> WhereRaw:
    pattern = _like_pattern(search)
    like = f"LIKE {{}} ESCAPE '{LIKE_ESCAPE}'"
    columns = ("reference", "description", "reporter_name", "reporter_organization", "batch_no")
    clauses = [f'LOWER("complaint"."{column}") {like}' for column in columns]
    clauses.append(f'"complaint"."product" IN (SELECT id FROM product WHERE LOWER(name) {like})')
    return WhereRaw("(" + " OR ".join(clauses) + ")", *([pattern] * len(clauses)))


async def list_complaints(
    status: str | None = None,
    batch_no: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    *,
    category: str | None = None,
    pharmacovigilance: bool | None = None,
) -> tuple[list[Complaint], int]:
    """Complaints newest first, filtered by status, batch, category, pharmacovigilance and text."""
    if offset > MAX_ID:
        raise InvalidInput("offset", f"at most {MAX_ID}")  # larger values overflow the database
    where: list[Any] = []
    if status:
        where.append(_T.status == choice(ComplaintStatus, status, "status").value)
    if category:
        where.append(_T.category == choice(Category, category, "category").value)
    if pharmacovigilance is not None:
        where.append(_T.pharmacovigilance == pharmacovigilance)
    if batch_no and batch_no.strip():
        _no_nul(batch_no, "batch_no")
        where.append(_T.batch_no == check_batch_no(batch_no))
    if q and q.strip():
        _no_nul(q, "q")
        if len(q.strip()) > SEARCH_MAX:
            raise InvalidInput("q", f"at most {SEARCH_MAX} characters")
        where.append(_search(q.strip()))
    query = _T.select(*_COLUMNS).order_by(_T.received_at, _T.id, ascending=False)
    count = _T.count()
    if where:
        query = query.where(*where)
        count = count.where(*where)
    rows = await query.limit(limit).offset(offset)
    return [_complaint(row) for row in rows], await count


async def complaint_history(complaint_id: int) -> list[audit.Entry]:
    """The audit entries of one complaint, oldest first."""
    return await audit.history("complaint", complaint_id)


async def possible_duplicates(complaint: Complaint) -> list[PossibleDuplicate]:
    """Other complaints on the same batch within the window (and same category, once set)."""
    if complaint.batch_no is None:
        return []
    window = timedelta(days=DUPLICATE_WINDOW_DAYS)
    # Same GTIN + batch number is the same batch when we know it, and still matches when we don't.
    where: list[Any] = [
        _T.id != complaint.id,
        _T.batch_no == complaint.batch_no,
        _T.gtin == complaint.gtin if complaint.gtin else _T.gtin.is_null(),
        _T.received_at >= complaint.received_at - window,
        _T.received_at <= complaint.received_at + window,
    ]
    if complaint.category:
        where.append(_T.category == complaint.category)
    rows = (
        await _T.select(_T.id, _T.reference, _T.received_at, _T.status, _T.category, _T.description)
        .where(*where)
        .order_by(_T.received_at)
        .limit(MAX_DUPLICATES)
    )
    return [
        PossibleDuplicate(
            id=row["id"],
            reference=row["reference"],
            received_at=row["received_at"].astimezone(UTC),
            status=row["status"],
            category=row["category"],
            description_excerpt=excerpt(row["description"]),
        )
        for row in rows
    ]


def _month_of(column: str) -> str:
    """SQL for a timestamp's month as 'YYYY-MM' in UTC, in the running database's dialect."""
    if isinstance(db.get_engine(), SQLiteEngine):
        return f"strftime('%Y-%m', {column})"
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"


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
        f"SELECT {_month_of('complaint.received_at')} AS month, "
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

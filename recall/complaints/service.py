"""Use cases of complaint intake: log, list, read, and spot likely duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw

from recall import audit, clock, db, masterdata
from recall.auth import Actor
from recall.complaints import tables
from recall.complaints.models import (
    CONTACT_MAX,
    DESCRIPTION_MAX,
    DUPLICATE_WINDOW_DAYS,
    NAME_MAX,
    Channel,
    Complaint,
    ComplaintStatus,
    PossibleDuplicate,
    Reporter,
    ReporterKind,
    check_batch_no,
    choice,
    counter_name,
    excerpt,
    format_reference,
    identify_pack,
    text,
)
from recall.errors import InvalidInput, NotFound

LIKE_ESCAPE = "!"
MAX_ID = 2**31 - 1  # Serial is a 32-bit integer on PostgreSQL
MAX_DUPLICATES = 50
SEARCH_MAX = 200

_T = tables.Complaint
_COLUMNS = (*_T.all_columns(), _T.product.name, _T.product.strength)


def _complaint(row: dict[str, Any]) -> Complaint:
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
        ("reporter.name", reporter.name),
        ("reporter.organization", reporter.organization),
        ("reporter.contact", reporter.contact),
        ("description", description),
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
    )

    async with db.transaction():
        number = await db.next_number(counter_name(received_at))
        reference = format_reference(received_at, number)
        row = _T(
            **values,
            reference=reference,
            status=ComplaintStatus.RECEIVED.value,
            category=None,
            severity=None,
            created_by=actor.id,
            version=1,
        )
        await row.save()
        new = {
            "reference": reference,
            "status": ComplaintStatus.RECEIVED.value,
            **{key: value for key, value in values.items() if key not in ("product", "batch")},
            "product_id": values["product"],
            "batch_id": values["batch"],
            "received_at": received_at.isoformat(),
        }
        await audit.record(actor, audit.Change("complaint", row.id, "created", new=new))

    return Complaint(
        id=row.id,
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
        batch_id=batch.id if batch else None,
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
    )


async def get_complaint(complaint_id: int) -> Complaint:
    """One complaint; NotFound when there is none with this id."""
    if not 1 <= complaint_id <= MAX_ID:
        raise NotFound(f"complaint {complaint_id} not found")
    row = await _T.select(*_COLUMNS).where(_T.id == complaint_id).first()
    if row is None:
        raise NotFound(f"complaint {complaint_id} not found")
    return _complaint(row)


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
) -> tuple[list[Complaint], int]:
    """Complaints newest first, filtered by status, batch number and free text."""
    if offset > MAX_ID:
        raise InvalidInput("offset", f"at most {MAX_ID}")  # larger values overflow the database
    where: list[Any] = []
    if status:
        where.append(_T.status == choice(ComplaintStatus, status, "status").value)
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

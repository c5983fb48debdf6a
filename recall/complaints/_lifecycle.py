"""Complaint use cases that change a complaint: log, triage, reply and close."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from recall import audit, clock, db, masterdata, regulatory
from recall.actors import Actor
from recall.complaints._models import (
    CONTACT_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    REFERENCES,
    REPLY_MAX,
    RESOLUTION_MAX,
    Channel,
    Complaint,
    ComplaintIntake,
    ComplaintStatus,
    Reporter,
    ReporterKind,
    TriageRequest,
    check_closable,
    check_reply_allowed,
    decide_triage,
    identify_pack,
    transition,
)
from recall.complaints._obligations import add_obligations, field_alert_due, owed
from recall.complaints._register import product_of_pack
from recall.complaints._service import (
    _changed_meanwhile,
    _no_nul,
    get_complaint,
)
from recall.errors import Conflict, InvalidInput
from recall.rules import choice, text
from recall.settings import get_settings

# The columns log_complaint writes.
_INTAKE_COLUMNS = (
    "channel", "reporter_name", "reporter_kind", "reporter_organization", "reporter_contact",
    "description", "adverse_event", "sample_available", "gtin", "product", "batch_no", "batch",
    "expires_on", "serial", "barcode", "received_at", "status", "pharmacovigilance",
    "created_by", "version", "reference",
)  # fmt: skip

_AUDITED_AT_INTAKE = frozenset(_INTAKE_COLUMNS) - {
    "product", "batch", "received_at", "pharmacovigilance", "created_by", "version"
}  # fmt: skip


async def log_complaint(actor: Actor, intake: ComplaintIntake) -> Complaint:
    """Record a complaint as received; a GS1 scan in `barcode` fills product, batch and expiry.

    A batch number we never made is accepted and flagged, never refused: the
    complaint may be about a counterfeit, which is exactly what must be recorded.
    """
    for field, value in (
        ("gtin", intake.gtin),
        ("batch_no", intake.batch_no),
        ("barcode", intake.barcode),
    ):
        _no_nul(value, field)
    values: dict[str, Any] = {
        "channel": choice(Channel, intake.channel, "channel").value,
        "reporter_name": text(intake.reporter.name, "reporter.name", NAME_MAX),
        "reporter_kind": choice(ReporterKind, intake.reporter.kind, "reporter.kind").value,
        "reporter_organization": text(
            intake.reporter.organization, "reporter.organization", NAME_MAX, required=False
        ),
        "reporter_contact": text(
            intake.reporter.contact, "reporter.contact", CONTACT_MAX, required=False
        ),
        "description": text(intake.description, "description", DESCRIPTION_MAX),
        "adverse_event": bool(intake.adverse_event),
        "sample_available": bool(intake.sample_available),
    }
    received_at = intake.received_at or clock.now()
    if received_at.tzinfo is None:
        raise InvalidInput("received_at", "must include a time zone")
    received_at = received_at.astimezone(UTC)

    pack = identify_pack(intake.gtin, intake.batch_no, intake.barcode)
    product = await product_of_pack(pack)
    batch = (
        await masterdata.find_batch(product.gtin, pack.batch_no)
        if product is not None and pack.batch_no
        else None
    )
    values.update(
        gtin=product.gtin if product else pack.gtin,
        product=product.id if product else None,
        batch_no=pack.batch_no,
        batch=batch.id if batch else None,
        expires_on=pack.expires_on or (batch.expires_on if batch else None),
        serial=pack.serial,
        barcode=intake.barcode.strip() if intake.barcode and intake.barcode.strip() else None,
        received_at=received_at,
        status=ComplaintStatus.RECEIVED.value,
        # Pharmacovigilance clocks start at receipt, not at triage.
        pharmacovigilance=values["adverse_event"],
        created_by=actor.id,
        version=1,
    )

    async with db.transaction():
        values["reference"] = reference = await db.next_reference(REFERENCES, received_at)
        complaint_id = await db.insert(
            "complaint", {column: values[column] for column in _INTAKE_COLUMNS}
        )
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
        gtin=values["gtin"],
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
        retain_until=masterdata.retain_until([batch] if batch else []),
    )


async def triage_complaint(actor: Actor, complaint_id: int, triage: TriageRequest) -> Complaint:
    """QA's triage of a received complaint: category, severity, and whether to investigate.

    Not investigating needs a reason (21 CFR 211.198). Adverse events are flagged
    for pharmacovigilance; the reports the complaint profiles ask for (field alert, adverse
    event report, illegitimate product) become its obligations, the earliest field alert's
    due time its `field_alert_due_at`. A complaint is triaged once; a concurrent triage gets
    Conflict.
    """
    complaint = await get_complaint(complaint_id)
    decision = decide_triage(
        triage.category,
        triage.severity,
        triage.investigate,
        triage.reason,
        adverse_event=complaint.adverse_event,
    )
    transition(complaint.status, ComplaintStatus.TRIAGED)
    now = clock.now()
    dues = regulatory.complaint_obligations(
        get_settings().complaint_profiles,
        category=decision.category.value,
        severity=decision.severity.value,
        adverse_event=decision.pharmacovigilance,
        received_at=complaint.received_at,
        triaged_at=now,
    )
    field_alert_due_at = field_alert_due(dues)
    new: dict[str, Any] = {
        "status": ComplaintStatus.TRIAGED.value,
        "category": decision.category.value,
        "severity": decision.severity.value,
        "investigate": decision.investigate,
        "triage_reason": decision.reason,
        "pharmacovigilance": decision.pharmacovigilance,
        "field_alert_due_at": field_alert_due_at,
    }
    old: dict[str, Any] = {
        "status": complaint.status,
        "category": complaint.category,
        "severity": complaint.severity,
        "investigate": complaint.investigate,
        "triage_reason": complaint.triage_reason,
        "pharmacovigilance": complaint.pharmacovigilance,
        "field_alert_due_at": complaint.field_alert_due_at,
    }
    async with db.transaction():
        await _move(
            actor,
            complaint,
            {**new, "triaged_at": now, "triaged_by": actor.id},
            audit.Change(
                "complaint",
                complaint.id,
                "triaged",
                old=_audited(old),
                new={**_audited(new), "obligations": owed(dues)},
                reason=decision.reason or "",
            ),
        )
        await add_obligations(complaint.id, dues)
    return await get_complaint(complaint.id)


async def _move(
    actor: Actor, complaint: Complaint, changes: dict[str, Any], change: audit.Change
) -> None:
    """Set the complaint's columns to `changes` if it is still at the version and status read,
    and audit `change`; Conflict when another change came first."""
    assignments = [f"{column} = {{}}" for column in changes] + ["version = version + 1"]
    changed = await db.fetch(
        f"UPDATE complaint SET {', '.join(assignments)} "
        "WHERE id = {} AND version = {} AND status = {} RETURNING id",
        *changes.values(),
        complaint.id,
        complaint.version,
        complaint.status,
    )
    if not changed:
        raise _changed_meanwhile(complaint)
    await audit.record(actor, change)


def _audited(values: dict[str, Any]) -> dict[str, Any]:
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
        reply = {"complaint": complaint.id, "text": reply_text, "replied_at": clock.now(),
                 "replied_by": actor.id}  # fmt: skip
        reply_id = await db.insert("complaint_reply", reply)
        await audit.record(
            actor,
            audit.Change(
                "complaint", complaint.id, "replied", new={"reply_id": reply_id, "text": reply_text}
            ),
        )
    return await get_complaint(complaint.id)


# Whether an investigation (by id) is concluded, from the context that keeps investigations.
InvestigationConcluded = Callable[[int], Awaitable[bool]]


async def close_complaint(
    actor: Actor,
    complaint_id: int,
    resolution: str,
    investigation_concluded: InvestigationConcluded,
) -> Complaint:
    """Close a triaged complaint not under investigation, or one whose investigation concluded.

    Closed through investigations.close_complaint, which knows the investigations' statuses.
    """
    outcome = text(resolution, "resolution", RESOLUTION_MAX)
    complaint = await get_complaint(complaint_id)
    now = clock.now()
    async with db.transaction():
        concluded = complaint.investigation_id is not None and await investigation_concluded(
            complaint.investigation_id
        )
        closed = check_closable(complaint.status, complaint.investigate, concluded)
        await _move(
            actor,
            complaint,
            {"status": closed.value, "closed_at": now, "resolution": outcome},
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

"""What a complaint owes the authorities: reports due by a deadline, their submission, alerts.

Obligations are created at triage from the complaint profiles (recall.regulatory); QA records
each submission; the worker alerts QA once when one comes due within a day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from recall import alerts, audit, clock, db, regulatory
from recall.actors import SYSTEM, Actor
from recall.complaints._models import earliest
from recall.errors import Conflict, InvalidInput, NotFound
from recall.rules import choice, days_late, is_valid_id, required_text, time_that_passed

OBLIGATION_REFERENCE_MAX = 100
# A report due within this long is "due": QA is alerted and the register shows it.
DUE_SOON = timedelta(hours=24)
FIELD_ALERT = "field_alert"


class OpenObligation(StrEnum):
    """The register's filter: an unsubmitted report due within a day, or past due."""

    DUE = "due"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Obligation:
    """A report owed to an authority; `overdue` when unsubmitted past its due time."""

    kind: str
    profile: str
    authority: str
    due_at: datetime
    rule: str
    form: str
    submitted_at: datetime | None
    reference: str | None
    channel: str | None
    overdue: bool
    days_late: int | None


@dataclass(frozen=True)
class ObligationSubmission:
    """A report as sent; `authority` picks one of several obligations of a kind."""

    submitted_at: datetime | None
    reference: str | None
    channel: str | None
    authority: str | None = None


def _obligation(row: Mapping[str, Any], now: datetime) -> Obligation:
    due_at = db.as_utc(row["due_at"])
    submitted_at = db.as_utc(row["submitted_at"])
    overdue = submitted_at is None and now > due_at
    return Obligation(
        kind=row["kind"],
        profile=row["profile"],
        authority=row["authority"],
        due_at=due_at,
        rule=row["rule"],
        form=row["form"],
        submitted_at=submitted_at,
        reference=row["reference"],
        channel=row["channel"],
        overdue=overdue,
        days_late=days_late(due_at, now) if overdue else None,
    )


async def add_obligations(complaint_id: int, dues: Sequence[regulatory.ObligationDue]) -> None:
    """Record the reports a triage made due, inside the triage's transaction."""
    for due in dues:
        await db.insert(
            "complaint_obligation",
            {"complaint": complaint_id, "kind": due.kind, "profile": due.profile,
             "authority": due.authority, "due_at": due.due_at, "rule": due.rule,
             "form": due.form},
        )  # fmt: skip


def owed(dues: Sequence[regulatory.ObligationDue]) -> list[dict[str, str]]:
    """The reports due, as the triage's audit entry names them."""
    return [
        {"kind": due.kind, "authority": due.authority, "due_at": due.due_at.isoformat()}
        for due in dues
    ]


def field_alert_due(dues: Iterable[regulatory.ObligationDue]) -> datetime | None:
    """The earliest field alert's due time (the complaint's `field_alert_due_at`)."""
    return earliest(due.due_at for due in dues if due.kind == FIELD_ALERT)


async def complaint_obligations(complaint_id: int) -> list[Obligation]:
    """A complaint's obligations, earliest due first."""
    rows = await db.fetch(
        "SELECT * FROM complaint_obligation WHERE complaint = {} ORDER BY due_at, id",
        complaint_id,
    )
    now = clock.now().astimezone(UTC)
    return [_obligation(row, now) for row in rows]


def obligation_condition(open_as: str, now: datetime) -> tuple[str, list[Any]]:
    """The register's condition for complaints with an unsubmitted report due within a day
    (overdue ones too) or past due."""
    kind = choice(OpenObligation, open_as, "obligation")
    until = now if kind is OpenObligation.OVERDUE else now + DUE_SOON
    return (
        "complaint.id IN (SELECT complaint FROM complaint_obligation "
        "WHERE submitted_at IS NULL AND due_at <= {})",
        [until],
    )


async def open_obligations(complaint_ids: Sequence[int]) -> dict[int, OpenObligation | None]:
    """For each complaint with an unsubmitted report: OVERDUE when one is past due, DUE when
    one is due within a day, None when none is yet."""
    rows = await db.fetch_in(
        "SELECT complaint, MIN(due_at) AS due_at FROM complaint_obligation "
        "WHERE submitted_at IS NULL AND complaint IN (*) GROUP BY complaint",
        list(complaint_ids),
    )
    now = clock.now().astimezone(UTC)
    marks: dict[int, OpenObligation | None] = {}
    for row in rows:
        due_at = db.as_utc(row["due_at"])
        soon = OpenObligation.DUE if due_at <= now + DUE_SOON else None
        marks[int(row["complaint"])] = OpenObligation.OVERDUE if due_at < now else soon
    return marks


def _chosen(
    rows: Sequence[Mapping[str, Any]], kind: str, authority: str | None, reference: str
) -> Mapping[str, Any]:
    """The obligation a submission meets: the one of `authority` (profile key or name), else
    the earliest due one not yet submitted."""
    if not rows:
        raise NotFound(f"complaint {reference} owes no {kind}")
    if authority is not None and authority.strip():
        wanted = authority.strip().casefold()
        named = [
            row for row in rows
            if wanted in (str(row["profile"]).casefold(), str(row["authority"]).casefold())
        ]  # fmt: skip
        if not named:
            owed = ", ".join(sorted({str(row["authority"]) for row in rows}))
            raise InvalidInput("authority", f"complaint {reference} owes its {kind} to {owed}")
        rows = named
    open_rows = [row for row in rows if row["submitted_at"] is None]
    if not open_rows:
        raise Conflict(f"the {kind} of complaint {reference} is already submitted")
    return open_rows[0]


async def record_obligation_submission(
    actor: Actor, complaint_id: int, kind: str, submission: ObligationSubmission
) -> Obligation:
    """Record that a report owed for a complaint was sent to the authority (audited).

    NotFound: no such complaint, or it owes no report of `kind`; Conflict: already submitted.
    """
    found = (
        await db.fetch("SELECT reference, received_at FROM complaint WHERE id = {}", complaint_id)
        if is_valid_id(complaint_id)
        else []
    )
    if not found:
        raise NotFound(f"complaint {complaint_id} not found")
    reference = found[0]["reference"]
    now = clock.now().astimezone(UTC)
    submitted_at = time_that_passed(
        submission.submitted_at,
        "submitted_at",
        now,
        since=db.as_utc(found[0]["received_at"]),
        since_what="the complaint was received",
    )
    their_reference = required_text(
        submission.reference, "reference", OBLIGATION_REFERENCE_MAX, one_line=True
    )
    channel = choice(regulatory.SubmissionChannel, submission.channel or "", "channel").value
    rows = await db.fetch(
        "SELECT * FROM complaint_obligation WHERE complaint = {} AND kind = {} ORDER BY due_at, id",
        complaint_id,
        kind,
    )
    chosen = _chosen(rows, kind, submission.authority, reference)
    async with db.transaction():
        taken = await db.fetch(
            "UPDATE complaint_obligation SET submitted_at = {}, reference = {}, channel = {}, "
            "submitted_by = {}, recorded_at = {} WHERE id = {} AND submitted_at IS NULL "
            "RETURNING *",
            submitted_at,
            their_reference,
            channel,
            actor.id,
            now,
            chosen["id"],
        )
        if not taken:
            raise Conflict(f"the {kind} of complaint {reference} is already submitted")
        await audit.record(
            actor,
            audit.Change(
                "complaint",
                complaint_id,
                "obligation_submitted",
                new={"kind": kind, "profile": chosen["profile"], "authority": chosen["authority"],
                     "submitted_at": submitted_at.isoformat(), "reference": their_reference,
                     "channel": channel},
            ),
        )  # fmt: skip
    return _obligation(taken[0], now)


async def alert_due_obligations(now: datetime | None = None) -> int:
    """Alert QA once about each unsubmitted report due within a day; the alerts raised.

    Safe to run twice and concurrently: an obligation is taken only while `alerted_at` is empty.
    """
    now = (now or clock.now()).astimezone(UTC)
    due = await db.fetch(
        "SELECT o.id AS id, o.kind AS kind, o.authority AS authority, o.due_at AS due_at, "
        "o.form AS form, c.id AS complaint, c.reference AS reference "
        "FROM complaint_obligation o JOIN complaint c ON c.id = o.complaint "
        "WHERE o.submitted_at IS NULL AND o.alerted_at IS NULL AND o.due_at <= {} "
        "ORDER BY o.due_at, o.id",
        now + DUE_SOON,
    )
    raised = 0
    for obligation in due:
        raised += await _alert(obligation, now)
    return raised


async def _alert(obligation: Mapping[str, Any], now: datetime) -> int:
    due_at = db.as_utc(obligation["due_at"])
    async with db.transaction():
        taken = await db.fetch(
            "UPDATE complaint_obligation SET alerted_at = {} "
            "WHERE id = {} AND alerted_at IS NULL AND submitted_at IS NULL RETURNING id",
            now,
            obligation["id"],
        )
        if not taken:
            return 0  # alerted meanwhile by another run, or submitted
        kind = str(obligation["kind"]).replace("_", " ")
        when = "was due" if due_at < now else "is due"
        detail = (
            f"The {kind} ({obligation['form']}) of complaint {obligation['reference']} to "
            f"{obligation['authority']} {when} {due_at:%Y-%m-%d %H:%M} UTC and is not submitted"
        )
        alert_id = await alerts.raise_alert(alerts.AlertKind.OBLIGATION_DUE, detail)
        await audit.record(
            SYSTEM,
            audit.Change(
                "complaint",
                int(obligation["complaint"]),
                "obligation_alerted",
                new={"kind": obligation["kind"], "authority": obligation["authority"],
                     "due_at": due_at.isoformat(), "alert_id": alert_id},
            ),
        )  # fmt: skip
    return 1

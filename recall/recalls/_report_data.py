"""The recall report's data: everything the PDF shows, gathered from the database before
drawing (consignees, deadlines, the summarised timeline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from recall import alerts, audit, clock, db
from recall.alerts import Alert
from recall.recalls._destruction import (
    DestructionRecord,
    FilesOf,
    destruction_files,
    list_destructions,
)
from recall.recalls._effectiveness import EffectivenessCheckShown, list_effectiveness_checks
from recall.recalls._models import Recall
from recall.recalls._reconciliation import Reconciliation, reconcile
from recall.recalls._reports import StatusReport, list_status_reports
from recall.recalls._service import get_recall
from recall.settings import get_settings

ALERTS_LISTED = 100
LISTED = 1000  # destructions, checks, status reports, recall audit entries


@dataclass(frozen=True)
class ConsigneeLine:
    """One consignee's notice as the report shows it."""

    code: str
    name: str
    kind: str
    tier: int
    status: str
    notified_at: datetime | None
    acknowledged_at: datetime | None
    responded_at: datetime | None
    distributed: int
    on_hand: int | None  # None: never reported
    returned: int
    destroyed: int
    reminders_sent: int


@dataclass(frozen=True)
class DeadlineShown:
    name: str
    rule: str
    due_at: datetime
    escalated_at: datetime | None


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    event: str
    by: str = ""


@dataclass(frozen=True)
class RecallReport:
    """Everything the PDF shows, gathered before drawing."""

    recall: Recall
    proposed_by: str
    reconciliation: Reconciliation
    deadlines: list[DeadlineShown]
    consignees: list[ConsigneeLine]
    destructions: list[DestructionRecord]
    checks: list[EffectivenessCheckShown]
    status_reports: list[StatusReport]
    alerts: list[Alert]
    alerts_total: int
    timeline: list[TimelineEvent]
    generated_at: datetime
    time_zone: str
    # Each destruction record's evidence files (file name, SHA-256), by record id.
    destruction_files: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


_CONSIGNEES_SQL = (
    "SELECT c.code AS code, c.name AS name, c.kind AS kind, n.tier AS tier, n.status AS status, "
    "n.notified_at AS notified_at, n.acknowledged_at AS acknowledged_at, "
    "n.responded_at AS responded_at, n.reminders_sent AS reminders_sent, "
    "COALESCE((SELECT SUM(l.quantity_distributed) FROM notice_line l WHERE l.notice = n.id), 0)"
    " AS distributed, "
    "(SELECT SUM(l.quantity_on_hand) FROM notice_line l WHERE l.notice = n.id) AS on_hand, "
    "COALESCE((SELECT SUM(l.quantity_returned) FROM notice_line l WHERE l.notice = n.id), 0)"
    " AS returned, "
    "COALESCE((SELECT SUM(d.quantity) FROM destruction d WHERE d.notice = n.id), 0)"
    " AS destroyed "
    "FROM notice n JOIN consignee c ON c.id = n.consignee WHERE n.recall = {} "
    "ORDER BY n.tier, c.code, n.id"
)


async def _consignees(recall_id: int) -> list[ConsigneeLine]:
    return [
        ConsigneeLine(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            tier=int(row["tier"]),
            status=row["status"],
            notified_at=db.as_utc(row["notified_at"]),
            acknowledged_at=db.as_utc(row["acknowledged_at"]),
            responded_at=db.as_utc(row["responded_at"]),
            distributed=int(row["distributed"]),
            on_hand=None if row["on_hand"] is None else int(row["on_hand"]),
            returned=int(row["returned"]),
            destroyed=int(row["destroyed"]),
            reminders_sent=int(row["reminders_sent"]),
        )
        for row in await db.fetch(_CONSIGNEES_SQL, recall_id)
    ]


async def _deadlines(recall_id: int) -> list[DeadlineShown]:
    rows = await db.fetch(
        "SELECT d.name AS name, d.rule AS rule, d.due_at AS due_at, "
        "d.escalated_at AS escalated_at, a.number AS amendment "
        "FROM recall_deadline d LEFT JOIN recall_amendment a ON a.id = d.amendment "
        "WHERE d.recall = {} ORDER BY d.due_at, d.id",
        recall_id,
    )
    return [
        DeadlineShown(
            # A scope amendment's deadline runs for the consignees it added: "(A1)".
            row["name"] + (f" (A{row['amendment']})" if row["amendment"] is not None else ""),
            row["rule"],
            db.as_utc(row["due_at"]),
            db.as_utc(row["escalated_at"]),
        )
        for row in rows
    ]


def _recall_event(entry: audit.Entry) -> str:
    new = entry.new_values
    action = entry.action
    if action == "proposed":
        return "Recall proposed"
    if action == "approved":
        return (
            f"Recall approved with e-signature; {new.get('notices', 0)} notice(s) created, "
            f"consignees traced in {new.get('trace_ms', '?')} ms"
        )
    if action == "signature_refused":
        return "Signature refused (password re-check failed)"
    if action == "reminders_sent":
        by = ", ".join(f"#{n}: {count}" for n, count in (new.get("by_reminder") or {}).items())
        return f"Reminders queued to {new.get('notices', 0)} consignee(s) ({by})"
    if action == "deadline_passed":
        raised = "alert raised" if new.get("alert_id") else "nothing open"
        return f"Deadline {new.get('deadline')} passed; {new.get('open', 0)} open ({raised})"
    if action == "status_report_filed":
        return f"Status report {new.get('number')} filed"
    if action == "closed":
        return "Recall closed with e-signature"
    return action.replace("_", " ").capitalize()


# Notice events summarised per action: consignee answers and cascade, not each delivery.
_NOTICE_ACTIONS = {
    "stock_reported": "Stock reports",
    "returns_recorded": "Returns recorded",
    "sub_consignees_named": "Sub-consignees named (cascade)",
    "delivery_failed": "Notice deliveries failed",
}


def _spread(
    label: str, count: int, first: Any, last: Any, total: int | None = None
) -> list[TimelineEvent]:
    """A first and (when later) a last event of `count` like events."""
    if not count or first is None:
        return []
    first_at, last_at = db.as_utc(first), db.as_utc(last)
    of = f" ({total:,} notices)" if total is not None else ""
    if count == 1:
        return [TimelineEvent(first_at, f"{label}: 1{of}")]
    events = [TimelineEvent(first_at, f"{label}: first of {count:,}{of}")]
    if last_at != first_at:
        events.append(TimelineEvent(last_at, f"{label}: last of {count:,}{of}"))
    return events


async def _timeline(
    recall: Recall,
    entries: Sequence[audit.Entry],
    checks: Sequence[EffectivenessCheckShown],
    destructions: Sequence[DestructionRecord],
) -> list[TimelineEvent]:
    """The recall's course, aggregated: its own audit entries, then its notices summarised."""
    events = [
        TimelineEvent(db.as_utc(entry.at), _recall_event(entry), entry.actor_name)
        for entry in entries[:LISTED]
    ]
    times = (
        await db.fetch(
            "SELECT COUNT(*) AS total, "
            "COUNT(notified_at) AS notified, MIN(notified_at) AS notified_first, "
            "MAX(notified_at) AS notified_last, "
            "COUNT(acknowledged_at) AS acknowledged, MIN(acknowledged_at) AS acknowledged_first,"
            " MAX(acknowledged_at) AS acknowledged_last, "
            "COUNT(responded_at) AS responded, MIN(responded_at) AS responded_first, "
            "MAX(responded_at) AS responded_last FROM notice WHERE recall = {}",
            recall.id,
        )
    )[0]
    total = int(times["total"])
    for key, label in (
        ("notified", "Notices delivered"),
        ("acknowledged", "Notices acknowledged"),
        ("responded", "Consignees responded"),
    ):
        count = int(times[key])
        events += _spread(label, count, times[f"{key}_first"], times[f"{key}_last"], total)
    rows = await db.fetch_in(
        "SELECT action, COUNT(*) AS n, MIN(at) AS first, MAX(at) AS last FROM audit_entry "
        "WHERE entity = 'notice' AND action IN (*) AND entity_id IN "
        "(SELECT CAST(id AS VARCHAR(50)) FROM notice WHERE recall = {}) GROUP BY action",
        list(_NOTICE_ACTIONS),
        recall.id,
    )
    for row in rows:
        events += _spread(_NOTICE_ACTIONS[row["action"]], int(row["n"]), row["first"], row["last"])
    events += [
        TimelineEvent(
            check.created_at,
            f"Effectiveness check level {check.level} started ({check.contacts_total} contacts)",
        )
        for check in checks
    ]
    events += [
        TimelineEvent(
            item.recorded_at,
            f"Destruction recorded: {item.quantity} of {item.batch_no} at {item.place}",
        )
        for item in destructions
    ]
    kinds = await db.fetch(
        "SELECT kind, COUNT(*) AS n, MIN(created_at) AS first, MAX(created_at) AS last "
        "FROM alert WHERE recall = {} GROUP BY kind",
        recall.id,
    )
    for row in kinds:
        label = f"Alert {row['kind'].replace('_', ' ')}"
        events += _spread(label, int(row["n"]), row["first"], row["last"])
    return sorted(events, key=lambda event: event.at)


async def recall_report(recall_id: int, files_of: FilesOf | None = None) -> RecallReport:
    """Everything the recall report shows, as it stands now; NotFound for an unknown recall.
    `files_of` reads a destruction record's evidence files for the reader."""
    recall = await get_recall(recall_id)
    entries = await audit.history("recall", recall_id)
    checks, _ = await list_effectiveness_checks(recall_id, limit=LISTED)
    destructions, _ = await list_destructions(recall_id, limit=LISTED)
    reports, _ = await list_status_reports(recall_id, limit=LISTED)
    found_alerts, alerts_total = await alerts.list_alerts(recall_id=recall_id, limit=ALERTS_LISTED)
    proposed_by = next((e.actor_name for e in entries if e.action == "proposed"), "")
    return RecallReport(
        recall=recall,
        proposed_by=proposed_by,
        reconciliation=await reconcile(recall_id),
        deadlines=await _deadlines(recall_id),
        consignees=await _consignees(recall_id),
        destructions=destructions,
        checks=checks,
        status_reports=reports,
        alerts=found_alerts,
        alerts_total=alerts_total,
        timeline=await _timeline(recall, entries, checks, destructions),
        generated_at=clock.now().astimezone(UTC),
        time_zone=get_settings().time_zone,
        destruction_files=await destruction_files(destructions, files_of),
    )

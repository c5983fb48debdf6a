"""Recall status reports (FDA 21 CFR 7.53): filed on the profile's schedule or on demand.

Report n of a recall is due `n` status-report intervals after approval, counted like the
recall's deadlines (the profile's time zone and holidays). A report freezes the figures as
they stood when it was filed; numbers are unique per recall, so filing twice is a no-op.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from recall import audit, clock, db, regulatory
from recall.actors import SYSTEM, Actor
from recall.errors import Conflict
from recall.recalls._authority_records import submissions_of
from recall.recalls._destruction import lock_in_progress, require_in_progress
from recall.recalls._effectiveness import list_effectiveness_checks
from recall.recalls._models import Recall, RecallStatus
from recall.recalls._reconciliation import ReconciliationLine, reconcile
from recall.recalls._service import get_recall, recall_row

CODES_LISTED = 50
# Reports a recall can fall behind by before the schedule stops counting (a safety bound).
MAX_REPORTS = 1000
CHECKS_LISTED = 500


@dataclass(frozen=True)
class StatusReport:
    """A filed status report: its number within the recall and the figures it froze."""

    id: int
    recall_id: int
    number: int
    filed_at: datetime
    content: dict[str, Any]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _quantities(line: ReconciliationLine) -> dict[str, int]:
    return {
        "distributed": line.quantity_distributed,
        "on_hand": line.quantity_on_hand,
        "returned": line.quantity_returned,
        "destroyed": line.quantity_destroyed,
        "unaccounted": line.quantity_unaccounted,
    }


async def _notification(recall_id: int) -> dict[str, Any]:
    """When and how consignees were notified (delivered notices per channel)."""
    times = await db.fetch(
        "SELECT MIN(notified_at) AS first, MAX(notified_at) AS last, "
        "COALESCE(SUM(CASE WHEN reminders_sent > 0 THEN 1 ELSE 0 END), 0) AS reminded "
        "FROM notice WHERE recall = {}",
        recall_id,
    )
    methods = await db.fetch(
        "SELECT d.channel AS channel, COUNT(DISTINCT d.notice) AS notices FROM delivery d "
        "JOIN notice n ON n.id = d.notice WHERE n.recall = {} AND d.message = 'notice' "
        "AND d.status = 'delivered' GROUP BY d.channel ORDER BY d.channel",
        recall_id,
    )
    return {
        "first_notified_at": _iso(db.as_utc(times[0]["first"])),
        "last_notified_at": _iso(db.as_utc(times[0]["last"])),
        "methods": {row["channel"]: int(row["notices"]) for row in methods},
        "reminded": int(times[0]["reminded"]),
    }


async def _non_responders(recall_id: int) -> tuple[list[str], int]:
    """Up to CODES_LISTED consignee codes without a response, and how many there are."""
    where = (
        "FROM notice n JOIN consignee c ON c.id = n.consignee "
        "WHERE n.recall = {} AND n.responded_at IS NULL"
    )
    rows = await db.fetch(
        f"SELECT c.code AS code {where} ORDER BY n.tier, c.code LIMIT {{}}", recall_id, CODES_LISTED
    )
    total = await db.fetch(f"SELECT COUNT(*) AS n {where}", recall_id)
    return [row["code"] for row in rows], int(total[0]["n"])


async def _tier_counts(recall_id: int) -> dict[int, dict[str, int]]:
    rows = await db.fetch(
        "SELECT tier, COUNT(*) AS consignees, COUNT(notified_at) AS notified, "
        "COUNT(acknowledged_at) AS acknowledged, COUNT(responded_at) AS responded "
        "FROM notice WHERE recall = {} GROUP BY tier ORDER BY tier",
        recall_id,
    )
    return {
        int(row["tier"]): {
            "consignees": int(row["consignees"]),
            "notified": int(row["notified"]),
            "acknowledged": int(row["acknowledged"]),
            "responded": int(row["responded"]),
        }
        for row in rows
    }


async def _effectiveness(recall_id: int) -> dict[str, Any]:
    checks, total = await list_effectiveness_checks(recall_id, limit=CHECKS_LISTED)
    return {
        "checks": total,
        "contacts": sum(check.contacts_total for check in checks),
        "contacted": sum(check.contacted for check in checks),
        "effective": sum(check.effective for check in checks),
        "ineffective": sum(check.ineffective for check in checks),
        "levels": [
            {
                "level": check.level,
                "sample_percent": check.sample_percent,
                "started_at": _iso(check.created_at),
                "contacts": check.contacts_total,
                "contacted": check.contacted,
                "effective": check.effective,
                "ineffective": check.ineffective,
            }
            for check in checks
        ],
    }


def _completion(recall: Recall, now: datetime) -> dict[str, Any] | None:
    """The estimated time frame for completion: the recall's latest completion deadline."""
    targets = [d for d in recall.deadlines if d.name != "status_report"]
    if not targets:
        return None
    last = max(targets, key=lambda deadline: deadline.due_at)
    return {"deadline": last.name, "due_at": _iso(last.due_at), "passed": last.due_at < now}


async def status_report_content(recall_id: int, now: datetime) -> dict[str, Any]:
    """The figures of a status report as they stand now (21 CFR 7.53(b) (1)-(6))."""
    recall = await get_recall(recall_id)
    progress = recall.progress
    reconciliation = await reconcile(recall_id)
    codes, not_responding = await _non_responders(recall_id)
    tier_counts = await _tier_counts(recall_id)
    tiers = []
    for tier in reconciliation.tiers:
        counts = tier_counts.get(tier.tier, {})
        tiers.append({"tier": tier.tier, **counts, **_quantities(tier.totals)})
    return {
        "drill": recall.drill,
        "as_of": _iso(now),
        "recall": {
            "reference": recall.reference,
            "status": recall.status,
            "recall_class": recall.recall_class,
            "recall_type": recall.recall_type,
            "authority_reference": recall.authority_reference,
            "depth": recall.depth,
            "profile": recall.profile,
            "profiles": recall.profiles,
            "ordered_on": recall.ordered_on.isoformat() if recall.ordered_on else None,
            "approved_at": _iso(recall.approved_at),
        },
        # (1) consignees notified, and the date and method of notification
        "notification": {
            "consignees": progress.consignees_total,
            "notified": progress.notified,
            **await _notification(recall_id),
        },
        # (2) consignees responding and the quantity on hand they reported; (3) not responding
        "responses": {
            "responding": progress.responded,
            "acknowledged": progress.acknowledged,
            "quantity_on_hand": sum(tier.totals.quantity_on_hand for tier in reconciliation.tiers),
            "not_responding": not_responding,
            "overdue": progress.overdue,
            "not_responding_codes": codes,
            "not_responding_more": not_responding - len(codes),
        },
        # (4) quantities returned, corrected or destroyed, and accounted for (tier 1 = what
        # left the plant; each tier for what it received)
        "quantities": _quantities(reconciliation.totals),
        "tiers": tiers,
        # (5) number and results of effectiveness checks
        "effectiveness_checks": await _effectiveness(recall_id),
        # (6) estimated time frame for completion
        "estimated_completion": _completion(recall, now),
        "deadlines": [
            {
                "name": d.name,
                "profile": d.profile,
                "due_at": _iso(d.due_at),
                "passed": d.due_at < now,
                "met_at": _iso(d.met_at),
                "late": d.late,
                "days_late": d.days_late,
            }
            for d in recall.deadlines
        ],
        # What was sent to the authorities, and the public warnings published (7.42(b)(2)).
        "submissions": [
            {
                "kind": s.kind,
                "authority": s.authority,
                "submitted_at": _iso(s.submitted_at),
                "channel": s.channel,
                "reference": s.reference,
                "meets": s.meets,
                "late": s.late,
            }
            for s in await submissions_of(recall_id, recall.deadlines)
        ],
        "public_warning": recall.public_warning,
        "public_warnings": [
            {
                "published_on": w.published_on.isoformat(),
                "channel": w.channel,
                "text": w.text,
                "url": w.url,
            }
            for w in recall.public_warnings
        ],
    }


async def _file(
    actor: Actor,
    recall_id: int,
    number: int,
    filed_at: datetime,
    content: dict[str, Any],
) -> int | None:
    """Insert report `number` (inside the caller's transaction); None when it exists."""
    content = {
        **content,
        "number": number,
        "filed_at": _iso(filed_at),
        "filed_by": actor.display_name,
    }
    rows = await db.fetch(
        "INSERT INTO status_report (recall, number, filed_at, content) VALUES ({}, {}, {}, {}) "
        "ON CONFLICT DO NOTHING RETURNING id",
        recall_id,
        number,
        filed_at,
        json.dumps(content, ensure_ascii=False, separators=(",", ":")),
    )
    if not rows:
        return None
    report_id = int(rows[0]["id"])
    await audit.record(
        actor,
        audit.Change(
            "recall",
            recall_id,
            "status_report_filed",
            new={
                "status_report_id": report_id,
                "number": number,
                "scheduled_for": content.get("scheduled_for"),
                "not_responding": content["responses"]["not_responding"],
                "quantities": content["quantities"],
            },
        ),
    )
    return report_id


def due_numbers(
    approved_at: datetime, profile: str, recall_class: str, now: datetime
) -> dict[int, datetime]:
    """The report numbers due by `now` with the time each fell due (empty without a schedule)."""
    rules = regulatory.load_profile(profile)
    every = rules.classes[recall_class].status_report_every
    if every is None or every.amount <= 0:
        return {}
    due: dict[int, datetime] = {}
    for number in range(1, MAX_REPORTS + 1):
        at = regulatory.add_duration(
            approved_at,
            f"{every.amount * number} {every.unit}",
            rules.country,
            rules.time_zone,
            holiday_categories=rules.holiday_categories,
        )
        if at > now:
            break
        due[number] = at
    return due


async def file_due_status_reports(now: datetime | None = None) -> int:
    """File every scheduled status report now due and not yet filed, for in-progress recalls.

    Numbers already taken (by the schedule or on demand) are not filed again. Returns how
    many reports were filed.
    """
    now = (now or clock.now()).astimezone(UTC)
    recalls = await db.fetch(
        "SELECT id, approved_at, profile, recall_class FROM recall "
        "WHERE status = {} AND approved_at IS NOT NULL ORDER BY id",
        RecallStatus.IN_PROGRESS.value,
    )
    filed = 0
    for row in recalls:
        recall_id = int(row["id"])
        due = due_numbers(db.as_utc(row["approved_at"]), row["profile"], row["recall_class"], now)
        taken = {
            int(found["number"])
            for found in await db.fetch(
                "SELECT number FROM status_report WHERE recall = {}", recall_id
            )
        }
        missing = [number for number in sorted(due) if number not in taken]
        if not missing:
            continue
        content = await status_report_content(recall_id, now)
        try:
            async with db.transaction():
                await lock_in_progress(recall_id, "a status report")
                for number in missing:
                    scheduled = {**content, "scheduled_for": _iso(due[number])}
                    if await _file(SYSTEM, recall_id, number, now, scheduled) is not None:
                        filed += 1
        except Conflict:
            continue  # closed meanwhile: nothing more to report
    return filed


async def file_status_report(actor: Actor, recall_id: int) -> StatusReport:
    """File a status report of an in-progress recall now, with the next free number."""
    require_in_progress(await recall_row(recall_id), "a status report")
    now = clock.now().astimezone(UTC)
    content = {**await status_report_content(recall_id, now), "scheduled_for": None}
    async with db.transaction():
        # Holding the recall's row makes the schedule and other requests take turns.
        await lock_in_progress(recall_id, "a status report")
        last = await db.fetch(
            "SELECT COALESCE(MAX(number), 0) AS n FROM status_report WHERE recall = {}", recall_id
        )
        number = int(last[0]["n"]) + 1
        report_id = await _file(actor, recall_id, number, now, content)
        if report_id is None:
            raise Conflict(f"status report {number} was filed meanwhile; try again")
    return (await _reports("s.id = {}", report_id))[0]


async def _reports(where: str, *values: Any) -> list[StatusReport]:
    rows = await db.fetch(
        "SELECT s.id AS id, s.recall AS recall, s.number AS number, s.filed_at AS filed_at, "
        "s.content AS content FROM status_report s WHERE " + where,
        *values,
    )
    return [
        StatusReport(
            id=int(row["id"]),
            recall_id=int(row["recall"]),
            number=int(row["number"]),
            filed_at=db.as_utc(row["filed_at"]),
            content=json.loads(row["content"]),
        )
        for row in rows
    ]


async def list_status_reports(
    recall_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[StatusReport], int]:
    """A recall's status reports, by number (NotFound for an unknown recall)."""
    await recall_row(recall_id)
    items = await _reports(
        "s.recall = {} ORDER BY s.number LIMIT {} OFFSET {}", recall_id, limit, offset
    )
    total = await db.fetch("SELECT COUNT(*) AS n FROM status_report WHERE recall = {}", recall_id)
    return items, int(total[0]["n"])

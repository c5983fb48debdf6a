"""Raising alerts for QA inside the causing transaction, listing and acknowledging them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recall import audit, clock, db, outbox
from recall.actors import SYSTEM, Actor
from recall.alerts._models import Alert, AlertKind
from recall.errors import NotFound
from recall.rules import choice, is_valid_id
from recall.settings import get_settings

MAIL_JOB = "mail_alert"


async def raise_alert(
    kind: AlertKind, detail: str, *, recall_id: int | None = None, notice_id: int | None = None
) -> int:
    """Record an alert for QA (audited) and, when an address is set, queue its e-mail.

    Runs inside the transaction of the change that found the problem.
    """
    now = clock.now()
    rows = await db.fetch(
        "INSERT INTO alert (recall, notice, kind, detail, created_at) "
        "VALUES ({}, {}, {}, {}, {}) RETURNING id",
        recall_id,
        notice_id,
        kind.value,
        detail,
        now,
    )
    alert_id = int(rows[0]["id"])
    await audit.record(
        SYSTEM,
        audit.Change(
            "alert",
            alert_id,
            "raised",
            new={"kind": kind.value, "detail": detail, "recall_id": recall_id,
                 "notice_id": notice_id},
        ),
    )  # fmt: skip
    if get_settings().qa_alert_email:
        await outbox.add(MAIL_JOB, {"alert_id": alert_id}, priority=outbox.Priority.URGENT)
    return alert_id


_SELECT = (
    "SELECT a.id AS id, a.kind AS kind, a.detail AS detail, a.recall AS recall_id, "
    "r.reference AS recall_reference, a.notice AS notice_id, c.code AS consignee_code, "
    "a.created_at AS created_at, a.acknowledged_at AS acknowledged_at FROM alert a "
    "LEFT JOIN recall r ON r.id = a.recall LEFT JOIN notice n ON n.id = a.notice "
    "LEFT JOIN consignee c ON c.id = n.consignee "
)


def _alert(row: Mapping[str, Any]) -> Alert:
    return Alert(
        id=int(row["id"]),
        kind=row["kind"],
        detail=row["detail"],
        recall_id=row["recall_id"],
        recall_reference=row["recall_reference"],
        notice_id=row["notice_id"],
        consignee_code=row["consignee_code"],
        created_at=db.as_utc(row["created_at"]),
        acknowledged_at=db.as_utc(row["acknowledged_at"]),
    )


async def get_alert(alert_id: int) -> Alert:
    rows = await db.fetch(_SELECT + "WHERE a.id = {}", alert_id) if is_valid_id(alert_id) else []
    if not rows:
        raise NotFound(f"alert {alert_id} not found")
    return _alert(rows[0])


async def list_alerts(
    *,
    recall_id: int | None = None,
    kind: str | None = None,
    open_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Alert], int]:
    """Alerts, newest first; filtered by recall, kind, or still unacknowledged."""
    conditions: list[str] = []
    values: list[Any] = []
    if recall_id is not None:
        conditions.append("a.recall = {}")
        values.append(recall_id)
    if kind:
        conditions.append("a.kind = {}")
        values.append(choice(AlertKind, kind, "kind").value)
    if open_only:
        conditions.append("a.acknowledged_at IS NULL")
    where = ("WHERE " + " AND ".join(conditions) + " ") if conditions else ""
    rows = await db.fetch(
        _SELECT + where + "ORDER BY a.created_at DESC, a.id DESC LIMIT {} OFFSET {}",
        *values,
        limit,
        offset,
    )
    total = await db.fetch("SELECT COUNT(*) AS n FROM alert a " + where, *values)
    return [_alert(row) for row in rows], int(total[0]["n"])


async def acknowledge_alert(actor: Actor, alert_id: int) -> Alert:
    """QA has seen the alert and taken it on; acknowledging twice changes nothing."""
    alert = await get_alert(alert_id)
    if alert.acknowledged_at is None:
        now = clock.now()
        async with db.transaction():
            changed = await db.fetch(
                "UPDATE alert SET acknowledged_at = {}, acknowledged_by = {} "
                "WHERE id = {} AND acknowledged_at IS NULL RETURNING id",
                now,
                actor.id,
                alert_id,
            )
            if changed:
                await audit.record(
                    actor,
                    audit.Change(
                        "alert", alert_id, "acknowledged", new={"acknowledged_at": now.isoformat()}
                    ),
                )
    return await get_alert(alert_id)


async def alert_mail(alert_id: int) -> tuple[str, str] | None:
    """Subject and text of an alert's e-mail to QA; None when unknown."""
    try:
        alert = await get_alert(alert_id)
    except NotFound:
        return None
    subject = f"[Recall] {alert.kind.replace('_', ' ')}"
    if alert.recall_reference:
        subject += f" - {alert.recall_reference}"
    lines = [alert.detail, ""]
    if alert.consignee_code:
        lines.append(f"Consignee: {alert.consignee_code}")
    lines.append(f"Raised at: {alert.created_at.isoformat()}")
    lines.append(f"Alerts: {get_settings().public_url}/api/alerts/{alert.id}")
    return subject, "\n".join(lines)

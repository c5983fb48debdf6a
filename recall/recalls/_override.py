"""Deadlines set by hand: an authority's order may set its own dates (e-signed, with a reason)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from recall import audit, auth, clock, db
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput, NotFound
from recall.recalls._models import Recall, RecallStatus
from recall.recalls._orders import profiles_of
from recall.recalls._service import get_recall, recall_row, refusal_audited
from recall.rules import required_text

REASON_MAX = 1000


async def _deadline_row(
    recall_id: int, key: str, profile: str | None, profiles: Sequence[str]
) -> dict[str, Any]:
    rows = await db.fetch(
        "SELECT id, name, profile, due_at, escalated_at FROM recall_deadline "
        "WHERE recall = {} AND name = {} ORDER BY id",
        recall_id,
        key[:50],
    )
    found = [dict(row) for row in rows]
    for row in found:
        row["profile"] = row["profile"] or profiles[0]
    if profile is not None:
        found = [row for row in found if row["profile"] == profile]
    if not found:
        raise NotFound(f"recall {recall_id} has no deadline {key[:50]!r}" + (
            f" for profile {profile[:20]!r}" if profile is not None else ""
        ))  # fmt: skip
    if len(found) > 1:
        named = ", ".join(row["profile"] for row in found)
        raise InvalidInput("profile", f"deadline {key} is in several profiles: name one of {named}")
    return found[0]


async def override_deadline(
    actor: Actor,
    recall_id: int,
    key: str,
    profile: str | None,
    due_at: datetime,
    reason: str,
    password: str,
    meaning: str,
) -> Recall:
    """Set a deadline's due time by hand (an order that sets its own dates), e-signed.

    `profile` is needed only when several of the recall's profiles have the key. The old and
    new due times and the reason are signed and audited; a wrong password changes nothing.
    A deadline moved into the future may be escalated again.
    """
    reason = required_text(reason, "reason", REASON_MAX)
    if due_at.tzinfo is None:
        raise InvalidInput("due_at", "give the time zone (e.g. 2026-03-10T17:00:00+07:00)")
    due_at = due_at.astimezone(UTC)
    row = await recall_row(recall_id)
    if row["status"] == RecallStatus.CLOSED:
        raise Conflict(f"recall {row['reference']} is closed: its deadlines stay as they were")
    deadline = await _deadline_row(recall_id, key, profile, profiles_of(row))
    old_due = db.as_utc(deadline["due_at"])
    now = clock.now().astimezone(UTC)
    record = {
        "reference": row["reference"],
        "deadline": deadline["name"],
        "profile": deadline["profile"],
        "old_due_at": old_due.isoformat(),
        "due_at": due_at.isoformat(),
        "reason": reason,
    }
    async with refusal_audited(actor, recall_id), db.transaction():
        changed = await db.fetch(
            "UPDATE recall_deadline SET due_at = {}, overridden = {}, override_reason = {}, "
            "escalated_at = CASE WHEN {} THEN NULL ELSE escalated_at END "
            "WHERE id = {} AND due_at = {} "
            "AND recall IN (SELECT id FROM recall WHERE status = {}) RETURNING id",
            due_at,
            True,
            reason,
            due_at > now,
            deadline["id"],
            deadline["due_at"],
            RecallStatus.IN_PROGRESS.value,
        )
        if not changed:
            raise Conflict(
                f"deadline {deadline['name']} was changed meanwhile, or the recall closed"
            )
        signature = await auth.sign(
            actor,
            password,
            entity="recall",
            entity_id=recall_id,
            action="override_deadline",
            meaning=meaning,
            record=record,
        )
        await audit.record(
            actor,
            audit.Change(
                "recall",
                recall_id,
                "deadline_overridden",
                old={"deadline": deadline["name"], "profile": deadline["profile"],
                     "due_at": old_due.isoformat()},
                new={"deadline": deadline["name"], "profile": deadline["profile"],
                     "due_at": due_at.isoformat(), "reason": reason,
                     "signature_hash": signature.record_hash, "meaning": meaning},
            ),
        )  # fmt: skip
    return await get_recall(recall_id)

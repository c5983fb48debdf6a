"""Effectiveness checks (FDA 21 CFR 7.42 levels A-E) of a reproducible random sample of a
recall's consignees, and the outcome of each contact."""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from recall import alerts, audit, clock, db
from recall.actors import Actor
from recall.alerts import AlertKind
from recall.errors import Conflict, InvalidInput, NotFound
from recall.recalls._destruction import lock_in_progress, require_in_progress
from recall.recalls._service import recall_row
from recall.rules import choice, is_valid_id, text

NOTES_MAX = 5000
REASON_MAX = 1000


class EffectivenessLevel(StrEnum):
    A = "A"  # every consignee
    B = "B"  # a sample of more than 10 % and less than 100 %, chosen per recall
    C = "C"  # 10 %
    D = "D"  # 2 %
    E = "E"  # no effectiveness checks


# The share of consignees each fixed level contacts, in percent (level B is chosen per check).
LEVEL_PERCENT: dict[EffectivenessLevel, int] = {
    EffectivenessLevel.A: 100,
    EffectivenessLevel.C: 10,
    EffectivenessLevel.D: 2,
    EffectivenessLevel.E: 0,
}


class ContactMethod(StrEnum):
    VISIT = "visit"
    PHONE = "phone"
    LETTER = "letter"


class ContactOutcome(StrEnum):
    EFFECTIVE = "effective"
    INEFFECTIVE = "ineffective"


def sample_percent_of(level: str, sample_percent: int | None) -> int:
    """The percentage a check at `level` samples; InvalidInput when `sample_percent` disagrees.

    Level B needs one strictly between 10 and 100; the other levels fix it, and a value
    given for them must be that one.
    """
    chosen = choice(EffectivenessLevel, level, "level")
    if chosen is EffectivenessLevel.B:
        if sample_percent is None:
            raise InvalidInput("sample_percent", "required for level B")
        if not 10 < sample_percent < 100:
            raise InvalidInput("sample_percent", "for level B must be more than 10 and below 100")
        return sample_percent
    fixed = LEVEL_PERCENT[chosen]
    if sample_percent is not None and sample_percent != fixed:
        raise InvalidInput("sample_percent", f"level {chosen.value} samples {fixed} %")
    return fixed


def sample_size(population: int, percent: int) -> int:
    """ceil(population * percent / 100): at least one when both are above zero."""
    return -(-population * percent // 100)


def draw_sample(notice_ids: Sequence[int], percent: int, seed: int) -> list[int]:
    """The notices a check contacts: random.Random(seed).sample of the ids in id order.

    Anyone holding the seed and the recall's notices redraws exactly the same sample.
    """
    population = sorted(notice_ids)
    # Reproducible on purpose: the seed is published so anyone can redraw the sample.
    drawn = random.Random(seed).sample(population, sample_size(len(population), percent))  # noqa: S311
    return sorted(drawn)


@dataclass(frozen=True)
class EffectivenessContactShown:
    """One sampled consignee of a check and, once checked, how and with what outcome."""

    id: int
    notice_id: int
    consignee_code: str
    consignee_name: str
    tier: int
    notice_status: str
    method: str | None
    outcome: str | None
    notes: str | None
    checked_at: datetime | None
    checked_by: int | None
    checked_by_name: str | None


@dataclass(frozen=True)
class EffectivenessCheckShown:
    """A check with its sample's counts; `contacts` is filled when one check is read."""

    id: int
    recall_id: int
    level: str
    sample_percent: int
    seed: str
    population: int
    created_at: datetime
    created_by: int | None
    contacts_total: int
    contacted: int
    effective: int
    ineffective: int
    contacts: list[EffectivenessContactShown] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return self.contacts_total - self.contacted


async def start_effectiveness_check(
    actor: Actor, recall_id: int, level: str, sample_percent: int | None = None
) -> EffectivenessCheckShown:
    """Start a check at an FDA level over a fresh random sample of the recall's notices.

    The seed is stored, so the sample can be redrawn with `draw_sample` from the notices the
    recall had when the check started. Audited.
    """
    percent = sample_percent_of(level, sample_percent)
    require_in_progress(await recall_row(recall_id), "an effectiveness check")
    seed = secrets.randbits(63)
    created_at = clock.now().astimezone(UTC)
    async with db.transaction():
        await lock_in_progress(recall_id, "an effectiveness check")
        notice_ids = [
            int(row["id"])
            for row in await db.fetch(
                "SELECT id FROM notice WHERE recall = {} ORDER BY id", recall_id
            )
        ]
        sample = draw_sample(notice_ids, percent, seed)
        rows = await db.fetch(
            "INSERT INTO effectiveness_check (recall, level, sample_percent, seed, created_at, "
            "created_by) VALUES ({}, {}, {}, {}, {}, {}) RETURNING id",
            recall_id,
            level,
            percent,
            str(seed),
            created_at,
            actor.id,
        )
        check_id = int(rows[0]["id"])
        await db.insert_many(
            "effectiveness_contact",
            (("effectiveness_check", "int"), ("notice", "int")),
            [(check_id, notice_id) for notice_id in sample],
        )
        await audit.record(
            actor,
            audit.Change(
                "effectiveness_check",
                check_id,
                "started",
                new={
                    "recall_id": recall_id,
                    "level": level,
                    "sample_percent": percent,
                    "seed": str(seed),
                    "population": len(notice_ids),
                    "contacts": len(sample),
                },
            ),
        )
    return await get_effectiveness_check(check_id)


# Notices the recall had when the check started: what its sample was drawn from.
_CHECK_SQL = (
    "SELECT k.id AS id, k.recall AS recall_id, k.level AS level, "
    "k.sample_percent AS sample_percent, k.seed AS seed, k.created_at AS created_at, "
    "k.created_by AS created_by, "
    "(SELECT COUNT(*) FROM notice n WHERE n.recall = k.recall AND n.created_at <= k.created_at)"
    " AS population, "
    "(SELECT COUNT(*) FROM effectiveness_contact e WHERE e.effectiveness_check = k.id)"
    " AS contacts_total, "
    "(SELECT COUNT(e.outcome) FROM effectiveness_contact e WHERE e.effectiveness_check = k.id)"
    " AS contacted, "
    "(SELECT COUNT(*) FROM effectiveness_contact e WHERE e.effectiveness_check = k.id "
    "AND e.outcome = 'effective') AS effective, "
    "(SELECT COUNT(*) FROM effectiveness_contact e WHERE e.effectiveness_check = k.id "
    "AND e.outcome = 'ineffective') AS ineffective "
    "FROM effectiveness_check k "
)


def _check(row: Mapping[str, Any]) -> EffectivenessCheckShown:
    return EffectivenessCheckShown(
        id=int(row["id"]),
        recall_id=int(row["recall_id"]),
        level=row["level"],
        sample_percent=int(row["sample_percent"]),
        seed=row["seed"],
        population=int(row["population"]),
        created_at=db.as_utc(row["created_at"]),
        created_by=row["created_by"],
        contacts_total=int(row["contacts_total"]),
        contacted=int(row["contacted"]),
        effective=int(row["effective"]),
        ineffective=int(row["ineffective"]),
    )


_CONTACT_SQL = (
    "SELECT e.id AS id, e.notice AS notice_id, c.code AS consignee_code, "
    "c.name AS consignee_name, n.tier AS tier, n.status AS notice_status, e.method AS method, "
    "e.outcome AS outcome, e.notes AS notes, e.checked_at AS checked_at, "
    "e.checked_by AS checked_by, u.full_name AS checked_by_name "
    "FROM effectiveness_contact e JOIN notice n ON n.id = e.notice "
    "JOIN consignee c ON c.id = n.consignee LEFT JOIN app_user u ON u.id = e.checked_by "
)


async def _contacts(where: str, *values: Any) -> list[EffectivenessContactShown]:
    rows = await db.fetch(_CONTACT_SQL + "WHERE " + where, *values)
    return [
        EffectivenessContactShown(
            id=int(row["id"]),
            notice_id=int(row["notice_id"]),
            consignee_code=row["consignee_code"],
            consignee_name=row["consignee_name"],
            tier=int(row["tier"]),
            notice_status=row["notice_status"],
            method=row["method"],
            outcome=row["outcome"],
            notes=row["notes"],
            checked_at=db.as_utc(row["checked_at"]),
            checked_by=row["checked_by"],
            checked_by_name=row["checked_by_name"],
        )
        for row in rows
    ]


async def get_effectiveness_check(check_id: int) -> EffectivenessCheckShown:
    """One check with its counts and every sampled consignee; NotFound otherwise."""
    rows = await db.fetch(_CHECK_SQL + "WHERE k.id = {}", check_id) if is_valid_id(check_id) else []
    if not rows:
        raise NotFound(f"effectiveness check {check_id} not found")
    contacts = await _contacts("e.effectiveness_check = {} ORDER BY n.tier, c.code, e.id", check_id)
    return replace(_check(rows[0]), contacts=contacts)


async def list_effectiveness_checks(
    recall_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[EffectivenessCheckShown], int]:
    """A recall's checks with their counts (no contacts), oldest first; NotFound for no recall."""
    await recall_row(recall_id)
    rows = await db.fetch(
        _CHECK_SQL + "WHERE k.recall = {} ORDER BY k.created_at, k.id LIMIT {} OFFSET {}",
        recall_id,
        limit,
        offset,
    )
    total = await db.fetch(
        "SELECT COUNT(*) AS n FROM effectiveness_check WHERE recall = {}", recall_id
    )
    return [_check(row) for row in rows], int(total[0]["n"])


async def record_contact_outcome(
    actor: Actor,
    check_id: int,
    contact_id: int,
    *,
    method: str,
    outcome: str,
    notes: str | None = None,
    correction_reason: str | None = None,
) -> EffectivenessContactShown:
    """Record how a sampled consignee was checked and whether the recall reached it.

    A recorded outcome is not overwritten silently: recording again is a Conflict unless a
    `correction_reason` is given, which the audit entry keeps with the old and new values.
    An ineffective outcome (newly) raises a CHECK_FAILED alert for QA in the same
    transaction. Refused once the recall is closed.
    """
    method = choice(ContactMethod, method, "method").value
    outcome = choice(ContactOutcome, outcome, "outcome").value
    notes = text(notes, "notes", NOTES_MAX, required=False)
    reason = text(correction_reason, "correction_reason", REASON_MAX, required=False)
    found = []
    if is_valid_id(check_id) and is_valid_id(contact_id):
        found = await db.fetch(
            "SELECT k.recall AS recall FROM effectiveness_contact e "
            "JOIN effectiveness_check k ON k.id = e.effectiveness_check "
            "WHERE e.id = {} AND k.id = {}",
            contact_id,
            check_id,
        )
    if not found:
        raise NotFound(f"contact {contact_id} of effectiveness check {check_id} not found")
    recall_id = int(found[0]["recall"])
    doing = "recording a check's outcome"
    require_in_progress(await recall_row(recall_id), doing)
    now = clock.now().astimezone(UTC)
    async with db.transaction():
        await lock_in_progress(recall_id, doing)
        (before,) = await _contacts("e.id = {}", contact_id)
        if before.outcome is not None and reason is None:
            raise Conflict(
                f"the outcome of contact {contact_id} is already recorded; "
                "send a correction_reason to correct it"
            )
        await db.fetch(
            "UPDATE effectiveness_contact SET method = {}, outcome = {}, notes = {}, "
            "checked_at = {}, checked_by = {} WHERE id = {}",
            method,
            outcome,
            notes,
            now,
            actor.id,
            contact_id,
        )
        level = (await db.fetch("SELECT level FROM effectiveness_check WHERE id = {}", check_id))[
            0
        ]["level"]
        new = {"method": method, "outcome": outcome, "notes": notes}
        await audit.record(
            actor,
            audit.Change(
                "effectiveness_contact",
                contact_id,
                "corrected" if before.outcome is not None else "recorded",
                old={"method": before.method, "outcome": before.outcome, "notes": before.notes},
                new={**new, "check_id": check_id, "consignee_code": before.consignee_code},
                reason=reason or "",
            ),
        )
        if outcome == ContactOutcome.INEFFECTIVE and before.outcome != outcome:
            await alerts.raise_alert(
                AlertKind.CHECK_FAILED,
                f"Effectiveness check {check_id} (level {level}): the recall was ineffective "
                f"at {before.consignee_code} {before.consignee_name} (checked by {method})",
                recall_id=recall_id,
                notice_id=before.notice_id,
            )
    (after,) = await _contacts("e.id = {}", contact_id)
    return after

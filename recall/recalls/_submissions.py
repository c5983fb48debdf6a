"""Reports sent to authorities and public warnings published, recorded after the fact.

A submission meets the deadline its profile's `met_by` names for its kind: the deadline's
`met_at` is the time the first submission of that kind reached that authority.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date
from typing import Any

from recall import audit, clock, db, regulatory
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput
from recall.recalls._authority_records import list_public_warnings, submissions_of
from recall.recalls._deadlines import recall_deadlines
from recall.recalls._models import (
    PublicWarning,
    PublicWarningRecord,
    RecallStatus,
    Submission,
    SubmissionKind,
    SubmissionRecord,
)
from recall.recalls._orders import profiles_of
from recall.recalls._service import recall_row
from recall.rules import check_http_url, choice, day_in_range, required_text, text, time_that_passed

AUTHORITY_MAX = 200
REFERENCE_MAX = 100
ADDRESSEES_MAX = 50
ADDRESSEE_MAX = 200
CHANNEL_MAX = 200
WARNING_TEXT_MAX = 5000


def _recorded(row: dict[str, Any], doing: str) -> None:
    """Conflict while the recall is only proposed: nothing was sent or published yet."""
    if row["status"] == RecallStatus.PROPOSED.value:
        raise Conflict(f"recall {row['reference']} is proposed; {doing} needs its approval")


def _authority(profiles: Sequence[str], value: str) -> str:
    """The profile whose key or authority `value` names, among the recall's profiles."""
    named = text(value, "authority", AUTHORITY_MAX, one_line=True)
    profile = regulatory.authority_of(profiles, named or "")
    if profile is None:
        known = ", ".join(f"{regulatory.load_profile(p).authority} ({p})" for p in profiles)
        raise InvalidInput("authority", f"not an authority of this recall; one of {known}")
    return profile


def _addressees(values: Sequence[str]) -> list[str]:
    if len(values) > ADDRESSEES_MAX:
        raise InvalidInput("addressees", f"at most {ADDRESSEES_MAX}")
    return [required_text(value, "addressees", ADDRESSEE_MAX, one_line=True) for value in values]


async def record_submission(actor: Actor, recall_id: int, record: SubmissionRecord) -> Submission:
    """Record a report or request sent to one of the recall's authorities; audited.

    The deadline its kind meets in that profile (if the recall has it) is met at the
    earliest such submission.
    """
    row = await recall_row(recall_id)
    profiles = profiles_of(row)
    values = {
        "kind": choice(SubmissionKind, record.kind, "kind").value,
        "channel": choice(regulatory.SubmissionChannel, record.channel, "channel").value,
        "reference": text(record.reference, "reference", REFERENCE_MAX, required=False,
                          one_line=True),
        "addressees": _addressees(record.addressees),
    }  # fmt: skip
    profile = _authority(profiles, record.authority)
    now = clock.now().astimezone(UTC)
    submitted_at = time_that_passed(
        record.submitted_at,
        "submitted_at",
        now,
        since=db.as_utc(row["proposed_at"]),
        since_what="the recall was proposed",
    )
    _recorded(row, "recording a submission")
    rules = regulatory.load_profile(profile)
    met = [key for key, kind in rules.met_by.items() if kind == values["kind"]]
    async with db.transaction():
        submission_id = await db.insert(
            "authority_submission",
            {
                **values,
                "recall": recall_id,
                "profile": profile,
                "authority": rules.authority,
                "submitted_at": submitted_at,
                "addressees": json.dumps(values["addressees"], ensure_ascii=False),
                "recorded_at": now,
                "recorded_by": actor.id,
            },
        )
        meets = []
        for key in met:
            meets += await db.fetch(
                "UPDATE recall_deadline SET met_at = {} WHERE recall = {} AND name = {} "
                "AND profile = {} AND (met_at IS NULL OR met_at > {}) RETURNING name",
                submitted_at,
                recall_id,
                key,
                profile,
                submitted_at,
            )
        await audit.record(
            actor,
            audit.Change(
                "recall",
                recall_id,
                "submission_recorded",
                new={
                    **values,
                    "submission_id": submission_id,
                    "profile": profile,
                    "authority": rules.authority,
                    "submitted_at": submitted_at.isoformat(),
                    "deadlines_met": [found["name"] for found in meets],
                },
            ),
        )
    deadlines = await recall_deadlines(await recall_row(recall_id))
    return (await submissions_of(recall_id, deadlines, "AND id = {}", submission_id))[0]


async def list_submissions(recall_id: int) -> list[Submission]:
    """A recall's submissions, earliest sent first (NotFound for an unknown recall)."""
    deadlines = await recall_deadlines(await recall_row(recall_id))
    return await submissions_of(recall_id, deadlines)


def _published_on(day: date) -> date:
    day_in_range(day, "published_on")
    if day > clock.today():
        raise InvalidInput("published_on", "must not be in the future")
    return day


async def record_public_warning(
    actor: Actor, recall_id: int, record: PublicWarningRecord
) -> PublicWarning:
    """Record a public warning published about the recall (press, website, broadcast)."""
    values = {
        "published_on": _published_on(record.published_on),
        "channel": required_text(record.channel, "channel", CHANNEL_MAX, one_line=True),
        "text": required_text(record.text, "text", WARNING_TEXT_MAX),
        "url": check_http_url(record.url, "url"),
    }
    row = await recall_row(recall_id)
    _recorded(row, "recording a public warning")
    now = clock.now().astimezone(UTC)
    async with db.transaction():
        warning_id = await db.insert(
            "public_warning",
            {**values, "recall": recall_id, "recorded_at": now, "recorded_by": actor.id},
        )
        await audit.record(
            actor,
            audit.Change(
                "recall",
                recall_id,
                "public_warning_recorded",
                new={**values, "public_warning_id": warning_id},
            ),
        )
    return next(w for w in await list_public_warnings(recall_id) if w.id == warning_id)

"""What was sent to authorities and published, as stored (read by the recall and its reports)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from recall import db, regulatory
from recall.recalls._deadlines import lateness
from recall.recalls._models import Deadline, PublicWarning, Submission

_SUBMISSION_COLUMNS = (
    "id, recall, kind, profile, authority, submitted_at, channel, reference, addressees, "
    "recorded_at, recorded_by"
)


def submission(row: Any, deadlines: Sequence[Deadline] = ()) -> Submission:
    """A stored submission; with the recall's deadlines, the one its kind meets and how late."""
    submitted_at = db.as_utc(row["submitted_at"])
    met_by = regulatory.load_profile(row["profile"]).met_by
    meets = next(
        (d for d in deadlines if d.profile == row["profile"] and met_by.get(d.key) == row["kind"]),
        None,
    )
    late, days_late = lateness(meets.due_at, submitted_at, submitted_at) if meets else (False, None)
    return Submission(
        id=int(row["id"]),
        recall_id=int(row["recall"]),
        kind=row["kind"],
        profile=row["profile"],
        authority=row["authority"],
        submitted_at=submitted_at,
        channel=row["channel"],
        reference=row["reference"],
        addressees=list(json.loads(row["addressees"])),
        recorded_at=db.as_utc(row["recorded_at"]),
        recorded_by=row["recorded_by"],
        meets=meets.key if meets is not None else None,
        late=late,
        days_late=days_late,
    )


async def submissions_of(
    recall_id: int, deadlines: Sequence[Deadline] = (), where: str = "", *values: Any
) -> list[Submission]:
    """A recall's submissions, earliest sent first (`where` narrows them further)."""
    rows = await db.fetch(
        f"SELECT {_SUBMISSION_COLUMNS} FROM authority_submission WHERE recall = {{}} {where} "
        "ORDER BY submitted_at, id",
        recall_id,
        *values,
    )
    return [submission(row, deadlines) for row in rows]


async def list_public_warnings(recall_id: int) -> list[PublicWarning]:
    """A recall's public warnings, earliest published first."""
    rows = await db.fetch(
        "SELECT id, recall, published_on, channel, text, url, recorded_at, recorded_by "
        "FROM public_warning WHERE recall = {} ORDER BY published_on, id",
        recall_id,
    )
    return [
        PublicWarning(
            id=int(row["id"]),
            recall_id=int(row["recall"]),
            published_on=db.as_date(row["published_on"]),
            channel=row["channel"],
            text=row["text"],
            url=row["url"],
            recorded_at=db.as_utc(row["recorded_at"]),
            recorded_by=row["recorded_by"],
        )
        for row in rows
    ]

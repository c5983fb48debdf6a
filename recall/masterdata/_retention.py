"""How long the records about batches are kept: SPEC "Lifecycle → Retention"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from recall import db

YEARS_AFTER_EXPIRY = 1
YEARS_AFTER_MANUFACTURE = 5


class BatchDates(Protocol):
    @property
    def manufactured_on(self) -> date: ...
    @property
    def expires_on(self) -> date: ...


@dataclass(frozen=True)
class _Dates:
    manufactured_on: date
    expires_on: date


def years_after(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def retain_until(batches: Iterable[BatchDates]) -> date | None:
    """The later of the latest expiry + 1 year and the latest manufacture + 5 years; None
    without batches."""
    return max(
        (
            max(
                years_after(batch.expires_on, YEARS_AFTER_EXPIRY),
                years_after(batch.manufactured_on, YEARS_AFTER_MANUFACTURE),
            )
            for batch in batches
        ),
        default=None,
    )


async def batches_retain_until(batch_ids: Iterable[int | None]) -> date | None:
    """retain_until of these batches in one read (None ids and unknown ids add none)."""
    ids = sorted({batch_id for batch_id in batch_ids if batch_id is not None})
    if not ids:
        return None
    rows = await db.fetch_in("SELECT manufactured_on, expires_on FROM batch WHERE id IN (*)", ids)
    return retain_until(
        _Dates(db.as_date(row["manufactured_on"]), db.as_date(row["expires_on"])) for row in rows
    )

"""The dashboard's counters against a full count of the notices they stand for.

`assert_tally_exact()` compares, for every recall with notices, what notices.progress and
notices.progress_by_level answer (from notice_tally) with the same figures counted over
every notice and line. As a plugin (`pytest -p tests.tally_check`) it runs after each test
of a suite, so every flow the suite drives is checked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest_asyncio

from recall import clock, db, notices
from recall.notices._service import RESPOND_BY


def _groups(rows: list[Any], countries: set[str]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    found: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        country = row["country"] if row["country"] in countries else None
        key = ("wholesale" if row["wholesale"] else "retail", country, row["amendment"])
        figures = found.setdefault(key, [0, 0, 0, None, None])
        for at, name in enumerate(("notices", "notified", "responded")):
            figures[at] += int(row[name])
        for at, name in ((3, "last_notified_at"), (4, "last_responded_at")):
            moment = db.as_utc(row[name])
            if moment is not None and (figures[at] is None or moment > figures[at]):
                figures[at] = moment
    return {key: tuple(figures) for key, figures in found.items()}


async def _expected_tiers(recall_id: int, now: datetime) -> list[tuple[Any, ...]]:
    counts = await db.fetch(
        "SELECT n.tier AS tier, COUNT(*) AS total, COUNT(n.notified_at) AS notified, "
        "COUNT(n.acknowledged_at) AS acknowledged, COUNT(n.responded_at) AS responded, "
        f"SUM(CASE WHEN n.responded_at IS NULL AND {RESPOND_BY} < {{}} THEN 1 ELSE 0 END) "
        "AS overdue, MAX(n.notified_at) AS last_notified_at "
        "FROM notice n JOIN consignee c ON c.id = n.consignee WHERE n.recall = {} "
        "GROUP BY n.tier ORDER BY n.tier",
        now,
        recall_id,
    )
    units = {
        int(row["tier"]): row
        for row in await db.fetch(
            "SELECT tier, SUM(quantity_distributed) AS distributed, "
            "SUM(COALESCE(quantity_on_hand, 0)) AS on_hand, SUM(quantity_returned) AS returned "
            "FROM notice_line WHERE recall = {} GROUP BY tier",
            recall_id,
        )
    }
    none = {"distributed": 0, "on_hand": 0, "returned": 0}
    return [
        (
            int(row["tier"]), int(row["total"]), int(row["notified"]), int(row["acknowledged"]),
            int(row["responded"]), int(row["overdue"] or 0),
            int(units.get(int(row["tier"]), none)["distributed"] or 0),
            int(units.get(int(row["tier"]), none)["on_hand"] or 0),
            int(units.get(int(row["tier"]), none)["returned"] or 0),
            db.as_utc(row["last_notified_at"]),
        )
        for row in counts
    ]  # fmt: skip


async def assert_tally_exact(now: datetime | None = None) -> None:
    """Every recall's counters equal a full count of its notices and lines."""
    now = now or clock.now()
    recalls = await db.fetch(
        "SELECT DISTINCT recall FROM notice UNION SELECT DISTINCT recall FROM notice_tally"
    )
    for recall_id in sorted(int(row["recall"]) for row in recalls):
        tiers = (await notices.progress(recall_id, now)).tiers
        answered = [
            (
                t.tier, t.consignees_total, t.notified, t.acknowledged, t.responded, t.overdue,
                t.quantity_distributed, t.quantity_on_hand, t.quantity_returned,
                t.last_notified_at,
            )
            for t in tiers
        ]  # fmt: skip
        assert answered == await _expected_tiers(recall_id, now), f"recall {recall_id} tiers"
        for tier in (None, *(t.tier for t in tiers)):
            for overdue in (False, True):
                shown = notices.ConsigneeFilter(tier=tier, overdue_only=overdue)
                _, total = await notices.consignee_rows(recall_id, shown, now, limit=0)
                late = f" AND n.responded_at IS NULL AND {RESPOND_BY} < {{}}" if overdue else ""
                counted = await db.fetch(
                    "SELECT COUNT(*) AS n FROM notice n JOIN consignee c ON c.id = n.consignee "
                    f"WHERE n.recall = {{}} AND n.tier = COALESCE({{}}, n.tier){late}",
                    recall_id, tier, *([now] if overdue else []),
                )  # fmt: skip
                assert total == int(counted[0]["n"]), f"recall {recall_id} {shown}"
        countries = {
            str(row["country"])
            for row in await db.fetch(
                "SELECT DISTINCT c.country AS country FROM notice n "
                "JOIN consignee c ON c.id = n.consignee WHERE n.recall = {}",
                recall_id,
            )
        }
        for asked in (set(), countries):
            levels = {
                (level.level, level.country, level.amendment): (
                    level.notices, level.notified, level.responded,
                    level.last_notified_at, level.last_responded_at,
                )
                for level in await notices.progress_by_level(recall_id, sorted(asked))
            }  # fmt: skip
            rows = await db.fetch(
                "SELECT (n.tier = 1 OR c.kind = 'pbf') AS wholesale, c.country AS country, "
                "n.amendment AS amendment, COUNT(*) AS notices, "
                "COUNT(n.notified_at) AS notified, COUNT(n.responded_at) AS responded, "
                "MAX(n.notified_at) AS last_notified_at, "
                "MAX(n.responded_at) AS last_responded_at FROM notice n "
                "JOIN consignee c ON c.id = n.consignee WHERE n.recall = {} "
                "GROUP BY 1, 2, 3",
                recall_id,
            )
            assert levels == _groups(rows, asked), f"recall {recall_id} levels"


@pytest_asyncio.fixture(autouse=True)
async def tally_checked_after_each_test(clean_database: None) -> AsyncIterator[None]:
    # Asks for clean_database so that it runs before the tables are emptied.
    yield
    await assert_tally_exact()

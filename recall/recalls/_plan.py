"""The notice plan: which consignees a recall notifies, at which tier, for how many units.

One notice per consignee within the recall's depth, at the lowest tier it is reached; its
lines count what it received at that tier, so tier-1 lines add up to exactly what left the
plant and nothing is counted twice across tiers. The database works the plan out from the
shipments (`masterdata.reach_ctes`): a national recall plans hundreds of thousands of
notices, and neither the web process approving it nor the worker opening its notices should
hold them all. The approval stages its plan in `recall_plan_line`; the notices open from
there (see _opening).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from recall import db, masterdata, notices
from recall.rules import is_valid_id

PLAN_COLUMNS = "consignee, tier, batch, quantity"


def _plan_sql(depth: str, batch_ids: Sequence[int]) -> tuple[str, list[Any]]:
    """A statement's WITH part defining `plan(consignee, tier, batch, quantity)`, and its
    values; the caller adds what to do with the plan."""
    traced, values = db.rows_table("traced_batch", (("batch", "int"),), [(b,) for b in batch_ids])
    kinds = notices.DEPTH_REACHES[depth]
    # Kinds are the code's own constants (DEPTH_REACHES, as within_depth reads them).
    beyond_tier_one = (
        "1 = 1" if kinds is None else "kind IN (" + ", ".join(f"'{k}'" for k in sorted(kinds)) + ")"
    )
    sql = f"""WITH RECURSIVE traced AS (SELECT batch FROM {traced}),
        {masterdata.reach_ctes("traced")},
        eligible AS (
            SELECT consignee, tier, batch, quantity FROM reach
            WHERE tier = 1 OR {beyond_tier_one}
        ),
        lowest AS (SELECT consignee, MIN(tier) AS tier FROM eligible GROUP BY consignee),
        plan AS (
            SELECT e.consignee AS consignee, e.tier AS tier, e.batch AS batch,
                e.quantity AS quantity
            FROM eligible e JOIN lowest l ON l.consignee = e.consignee AND l.tier = e.tier
        )"""
    return sql, values


def _valid(batch_ids: Sequence[int]) -> list[int]:
    return sorted({batch_id for batch_id in batch_ids if is_valid_id(batch_id)})


async def trace_plan(depth: str, batch_ids: Sequence[int]) -> list[notices.PlannedNotice]:
    """One planned notice per consignee the batches reach within the depth, by tier and
    consignee; for scopes the caller holds anyway (previews, amendments, late shipments)."""
    ids = _valid(batch_ids)
    if not ids:
        return []
    sql, values = _plan_sql(depth, ids)
    rows = await db.fetch(
        f"{sql} SELECT {PLAN_COLUMNS} FROM plan ORDER BY tier, consignee, batch", *values
    )
    return _planned(rows)


async def stage_plan(recall_id: int, depth: str, batch_ids: Sequence[int]) -> int:
    """Write the recall's plan into recall_plan_line, by the database alone; how many
    notices it plans. Run in the approval's transaction."""
    ids = _valid(batch_ids)
    if ids:
        sql, values = _plan_sql(depth, ids)
        await db.execute(
            f"{sql} INSERT INTO recall_plan_line (recall, {PLAN_COLUMNS}) "
            f"SELECT {{}}, {PLAN_COLUMNS} FROM plan",
            *values,
            recall_id,
        )
    rows = await db.fetch(
        "SELECT COUNT(DISTINCT consignee) AS notices FROM recall_plan_line WHERE recall = {}",
        recall_id,
    )
    return int(rows[0]["notices"])


async def staged_notices(
    recall_id: int, *, most: int, after: int = 0, tier_one_only: bool = False
) -> list[notices.PlannedNotice]:
    """Up to `most` planned notices still staged for the recall, by consignee, from the
    consignee after `after` (a chunk's reader passes the last one it opened)."""
    tier = " AND tier = 1" if tier_one_only else ""
    rows = await db.fetch(
        f"SELECT {PLAN_COLUMNS} FROM recall_plan_line WHERE recall = {{}} AND consignee IN ("
        "SELECT DISTINCT consignee FROM recall_plan_line WHERE recall = {} AND consignee > {}"
        f"{tier} ORDER BY consignee LIMIT {{}}) ORDER BY consignee, batch",
        recall_id,
        recall_id,
        after,
        most,
    )
    return _planned(rows)


async def unstage(recall_id: int, opened: Sequence[notices.PlannedNotice]) -> None:
    """Drop these notices from the staged plan (in the transaction that opened them)."""
    if opened:
        await db.fetch_in(
            "DELETE FROM recall_plan_line WHERE recall = {} AND consignee IN (*)",
            [notice.consignee_id for notice in opened],
            recall_id,
        )


def _planned(rows: Sequence[Mapping[str, Any]]) -> list[notices.PlannedNotice]:
    """Plan rows grouped by consignee (a consignee's rows come together, its batches in order)."""
    planned = []
    for consignee, group in groupby(rows, key=itemgetter("consignee")):
        lines = list(group)
        planned.append(
            notices.PlannedNotice(
                int(consignee),
                int(lines[0]["tier"]),
                tuple(
                    notices.PlannedLine(int(row["batch"]), int(row["quantity"])) for row in lines
                ),
            )
        )
    return planned

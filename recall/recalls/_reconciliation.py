"""Reconciliation of a recall per batch and per tier: what went out against what came back.

The batch lines count what left the plant (tier-1 notice lines) against what tier-1
consignees report on hand, returned or destroyed on site. Lower tiers show the same columns
for what they received from their supplier, so nothing is counted twice. Returned stock
destroyed at the plant is already counted as returned and is not counted again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from recall import db, notices
from recall.errors import NotFound
from recall.rules import is_valid_id


@dataclass(frozen=True)
class ReconciliationLine:
    """One batch's figures (at one tier, or as it left the plant)."""

    batch_no: str
    gtin: str
    product_name: str
    quantity_produced: int
    quantity_distributed: int
    quantity_on_hand: int
    quantity_returned: int
    quantity_destroyed: int

    @property
    def quantity_unaccounted(self) -> int:
        return notices.unaccounted(self)


@dataclass(frozen=True)
class TierReconciliation:
    tier: int
    batches: list[ReconciliationLine]
    totals: ReconciliationLine


@dataclass(frozen=True)
class Reconciliation:
    """The batch lines (what left the plant), their totals, and the same per tier."""

    batches: list[ReconciliationLine]
    totals: ReconciliationLine
    tiers: list[TierReconciliation]


def total_of(lines: Iterable[ReconciliationLine]) -> ReconciliationLine:
    """The column sums of `lines` (batch_no, gtin and product_name left empty)."""
    lines = list(lines)
    return ReconciliationLine(
        batch_no="",
        gtin="",
        product_name="",
        quantity_produced=sum(line.quantity_produced for line in lines),
        quantity_distributed=sum(line.quantity_distributed for line in lines),
        quantity_on_hand=sum(line.quantity_on_hand for line in lines),
        quantity_returned=sum(line.quantity_returned for line in lines),
        quantity_destroyed=sum(line.quantity_destroyed for line in lines),
    )


_BATCHES_SQL = (
    "SELECT b.id AS batch, b.batch_no AS batch_no, p.gtin AS gtin, p.name AS product_name, "
    "b.quantity_produced AS quantity_produced "
    "FROM recall_batch rb JOIN batch b ON b.id = rb.batch JOIN product p ON p.id = b.product "
    "WHERE rb.recall = {} ORDER BY b.batch_no, p.gtin, b.id"
)

# What each tier received of each batch, and what it reports on hand (latest report) and
# returned; a line never reported on hand counts 0 there, so it stays unaccounted.
_RECEIVED_SQL = (
    "SELECT n.tier AS tier, l.batch AS batch, "
    "COALESCE(SUM(l.quantity_distributed), 0) AS distributed, "
    "COALESCE(SUM(l.quantity_on_hand), 0) AS on_hand, "
    "COALESCE(SUM(l.quantity_returned), 0) AS returned "
    "FROM notice_line l JOIN notice n ON n.id = l.notice {market}WHERE n.recall = {{}} "
    "GROUP BY n.tier, l.batch"
)

# Destroyed on site at a consignee: counts for the tier of that consignee's notice.
_DESTROYED_SQL = (
    "SELECT n.tier AS tier, d.batch AS batch, COALESCE(SUM(d.quantity), 0) AS destroyed "
    "FROM destruction d JOIN notice n ON n.id = d.notice {market}WHERE d.recall = {{}} "
    "GROUP BY n.tier, d.batch"
)
# Narrows the two queries above to the consignees of some countries (one market).
_MARKET = "JOIN consignee c ON c.id = n.consignee AND c.country IN (*) "


async def _figures(sql: str, recall_id: int, countries: Collection[str] | None) -> list[Any]:
    if countries is None:
        return list(await db.fetch(sql.format(market=""), recall_id))
    return list(await db.fetch_in(sql.format(market=_MARKET), sorted(countries), recall_id))


async def reconcile(recall_id: int, countries: Collection[str] | None = None) -> Reconciliation:
    """The reconciliation of one recall, summed in the database; NotFound for an unknown one.

    With `countries`, only what the consignees in those countries received and reported (the
    part of the recall one market's authority oversees); the batches are listed all the same.
    """
    if not is_valid_id(recall_id) or not await db.fetch(
        "SELECT id FROM recall WHERE id = {}", recall_id
    ):
        raise NotFound(f"recall {recall_id} not found")
    batches = await db.fetch(_BATCHES_SQL, recall_id)
    figures: dict[tuple[int, int], dict[str, int]] = {}
    for row in await _figures(_RECEIVED_SQL, recall_id, countries):
        figures[(int(row["tier"]), int(row["batch"]))] = {
            "distributed": int(row["distributed"]),
            "on_hand": int(row["on_hand"]),
            "returned": int(row["returned"]),
            "destroyed": 0,
        }
    for row in await _figures(_DESTROYED_SQL, recall_id, countries):
        key = (int(row["tier"]), int(row["batch"]))
        empty = {"distributed": 0, "on_hand": 0, "returned": 0, "destroyed": 0}
        figures.setdefault(key, empty)["destroyed"] = int(row["destroyed"])

    def line(batch: Mapping[str, Any], tier: int) -> ReconciliationLine:
        found = figures.get((tier, int(batch["batch"])), {})
        return ReconciliationLine(
            batch_no=batch["batch_no"],
            gtin=batch["gtin"],
            product_name=batch["product_name"],
            quantity_produced=int(batch["quantity_produced"]),
            quantity_distributed=found.get("distributed", 0),
            quantity_on_hand=found.get("on_hand", 0),
            quantity_returned=found.get("returned", 0),
            quantity_destroyed=found.get("destroyed", 0),
        )

    plant = [line(batch, 1) for batch in batches]
    tiers = []
    for tier in sorted({tier for tier, _ in figures}):
        lines = [line(batch, tier) for batch in batches if (tier, int(batch["batch"])) in figures]
        tiers.append(TierReconciliation(tier, lines, total_of(lines)))
    return Reconciliation(batches=plant, totals=total_of(plant), tiers=tiers)

"""Traceability: who received a batch (or every batch made with a material lot), at every tier.

Tier 1 is a consignee we shipped to; tier n+1 received from a consignee first reached at
tier n. One recursive query walks the shipments; a depth limit stops it in cycles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from recall import db
from recall.masterdata.service import get_batch, get_material_lot
from recall.rules import is_valid_id

MAX_TIERS = 10


@dataclass(frozen=True)
class TracedBatch:
    id: int
    batch_no: str
    gtin: str
    product_name: str
    expires_on: date


@dataclass(frozen=True)
class TracedConsignee:
    """Units of one batch a consignee received at one tier (summed over its shipments)."""

    consignee_id: int
    code: str
    name: str
    kind: str
    tier: int
    batch_id: int
    batch_no: str
    quantity: int


@dataclass(frozen=True)
class Trace:
    """Batches traced and where they went; `total_quantity` counts only units that left us."""

    batches: list[TracedBatch]
    consignees: list[TracedConsignee]
    total_quantity: int


# `traced(batch)` is spliced in: one batch, or every batch that used a material lot.
# `reach` finds each (batch, consignee) at every tier it can be reached (UNION drops repeats,
# the tier limit ends cycles); `first_reach` keeps its nearest tier; `received` gives every
# shipment the tier one below its sender's nearest one, so each shipment is counted once.
_TRACE_SQL = """
WITH RECURSIVE
traced(batch) AS ({traced}),
reach(batch, consignee, tier) AS (
    SELECT s.batch, s.consignee, 1
    FROM shipment s JOIN traced t ON t.batch = s.batch
    WHERE s.sender IS NULL
    UNION
    SELECT s.batch, s.consignee, r.tier + 1
    FROM reach r JOIN shipment s ON s.batch = r.batch AND s.sender = r.consignee
    WHERE r.tier < {{}}
),
first_reach(batch, consignee, tier) AS (
    SELECT batch, consignee, MIN(tier) FROM reach GROUP BY batch, consignee
),
received(batch, consignee, tier, quantity) AS (
    SELECT s.batch, s.consignee, 1, s.quantity
    FROM shipment s JOIN traced t ON t.batch = s.batch
    WHERE s.sender IS NULL
    UNION ALL
    SELECT s.batch, s.consignee, f.tier + 1, s.quantity
    FROM first_reach f JOIN shipment s ON s.batch = f.batch AND s.sender = f.consignee
    WHERE f.tier < {{}}
)
SELECT c.id AS consignee_id, c.code AS code, c.name AS name, c.kind AS kind,
       r.tier AS tier, b.id AS batch_id, b.batch_no AS batch_no,
       SUM(r.quantity) AS quantity
FROM received r
JOIN consignee c ON c.id = r.consignee
JOIN batch b ON b.id = r.batch
GROUP BY c.id, c.code, c.name, c.kind, r.tier, b.id, b.batch_no
ORDER BY r.tier, c.code, b.batch_no, b.id
"""

_BATCH_OF_ID = "SELECT id AS batch FROM batch WHERE id = {}"
_BATCHES_OF_LOT = "SELECT DISTINCT batch FROM batch_material WHERE material_lot = {}"


async def trace_batch(batch_id: int) -> Trace:
    """Every consignee, at every tier, that received this batch; NotFound for an unknown id."""
    batch = await get_batch(batch_id)
    return await _trace(_BATCH_OF_ID, batch.id)


async def trace_material_lot(lot_id: int) -> Trace:
    """Every batch made with this material lot and every consignee that received one of them."""
    lot = await get_material_lot(lot_id)
    return await _trace(_BATCHES_OF_LOT, lot.id)


async def trace_batches(batch_ids: list[int]) -> Trace:
    """Every consignee, at every tier, that received any of these batches (unknown ids add none)."""
    ids = sorted({batch_id for batch_id in batch_ids if is_valid_id(batch_id)})
    if not ids:
        return Trace([], [], 0)
    placeholders = ", ".join("{}" for _ in ids)
    return await _trace(f"SELECT id AS batch FROM batch WHERE id IN ({placeholders})", *ids)


async def _trace(traced_sql: str, *keys: int) -> Trace:
    sql = _TRACE_SQL.format(traced=traced_sql)
    rows = await db.fetch(sql, *keys, MAX_TIERS, MAX_TIERS)
    consignees = [_consignee(row) for row in rows]
    batches = await _batches(traced_sql, *keys)
    total = sum(line.quantity for line in consignees if line.tier == 1)
    return Trace(batches, consignees, total)


async def _batches(traced_sql: str, *keys: int) -> list[TracedBatch]:
    sql = (
        "SELECT b.id AS id, b.batch_no AS batch_no, p.gtin AS gtin, p.name AS product_name, "
        "b.expires_on AS expires_on FROM batch b JOIN product p ON p.id = b.product "
        f"WHERE b.id IN ({traced_sql}) ORDER BY b.batch_no, b.id"
    )
    return [_batch(row) for row in await db.fetch(sql, *keys)]


def _batch(row: dict[str, Any]) -> TracedBatch:
    return TracedBatch(
        id=row["id"],
        batch_no=row["batch_no"],
        gtin=row["gtin"],
        product_name=row["product_name"],
        expires_on=db.as_date(row["expires_on"]),
    )


def _consignee(row: dict[str, Any]) -> TracedConsignee:
    return TracedConsignee(
        consignee_id=row["consignee_id"],
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        tier=int(row["tier"]),
        batch_id=row["batch_id"],
        batch_no=row["batch_no"],
        quantity=int(row["quantity"]),
    )

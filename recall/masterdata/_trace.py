"""Traceability: who received a batch (or every batch made with a material lot), at every tier.

Tier 1 is a consignee we shipped to; tier n+1 received from a consignee first reached at
tier n. For a trace page the traced batches' shipments are read in one indexed pass and
walked here, level by level from our own shipments; planning a recall's notices walks the
same way in the database (`reach_ctes`), so a national scope never sits in one process.
A depth limit stops the walk in cycles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from recall import db
from recall.masterdata._batch_views import BATCH_VIEW_COLUMNS, batch_view
from recall.masterdata._models import BatchView
from recall.masterdata._service import get_batch, get_material_lot
from recall.rules import is_valid_id

MAX_TIERS = 10


class TracedConsignee(NamedTuple):
    """Units of one batch a consignee received at one tier (summed over its shipments).

    A named tuple: a national trace makes tens of thousands, and a frozen dataclass costs
    several times more to build.
    """

    consignee_id: int
    code: str
    name: str
    kind: str
    tier: int
    batch_id: int
    batch_no: str
    quantity: int
    country: str  # ISO 3166 alpha-2: the market the consignee is reached in
    province: str | None


@dataclass(frozen=True)
class Trace:
    """Batches traced and where they went; `total_quantity` counts only units that left us."""

    batches: list[BatchView]
    consignees: list[TracedConsignee]
    total_quantity: int


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
    return await _trace("SELECT id AS batch FROM batch WHERE id IN (*)", *ids)


def reach_ctes(traced: str) -> str:
    """Common table expressions, for a statement that begins WITH RECURSIVE, ending in
    `reach(consignee, kind, tier, batch, quantity)`: the `Reach` lines of the batches in the
    table `traced` (column `batch`), walked by the database exactly as `walk` does.

    Why in SQL: a national recall reaches hundreds of thousands of consignees, and planning
    its notices must not hold them all in one process. A consignee's tier per batch is its
    nearest distance from our shipments (paths longer than MAX_TIERS are not followed); each
    shipment counts once, one tier below its sender's nearest tier.
    """
    return f"""
        reached(batch, consignee, tier) AS (
            SELECT s.batch, s.consignee, 1 FROM shipment s JOIN {traced} t ON t.batch = s.batch
            WHERE s.sender IS NULL
            UNION
            SELECT s.batch, s.consignee, r.tier + 1 FROM reached r
            JOIN shipment s ON s.batch = r.batch AND s.sender = r.consignee
            WHERE r.tier < {MAX_TIERS}
        ),
        nearest AS (
            SELECT batch, consignee, MIN(tier) AS tier FROM reached GROUP BY batch, consignee
        ),
        reach AS (
            SELECT s.consignee AS consignee, c.kind AS kind, COALESCE(n.tier, 0) + 1 AS tier,
                s.batch AS batch, SUM(s.quantity) AS quantity
            FROM shipment s JOIN {traced} t ON t.batch = s.batch
            JOIN consignee c ON c.id = s.consignee
            LEFT JOIN nearest n ON n.batch = s.batch AND n.consignee = s.sender
            WHERE s.sender IS NULL OR n.tier < {MAX_TIERS}
            GROUP BY s.consignee, c.kind, COALESCE(n.tier, 0) + 1, s.batch
        )"""


# (batch, consignee, sender, quantity) of one shipment; sender None: shipped by us.
Shipped = tuple[int, int, int | None, int]
# (batch, consignee, tier): a consignee's units of one batch at one tier.
Received = tuple[int, int, int]


def walk(
    shipments: Iterable[Shipped], max_tiers: int = MAX_TIERS
) -> dict[tuple[int, int, int], int]:
    """Units per (batch, consignee, tier), each shipment counted once, at one tier below its
    sender's nearest tier; shipments from consignees we never reached are left out."""
    sent_by: dict[tuple[int, int | None], list[tuple[int, int]]] = defaultdict(list)
    for batch, consignee, sender, quantity in shipments:
        sent_by[batch, sender].append((consignee, quantity))
    received: dict[Received, int] = defaultdict(int)
    for batch in {batch for batch, sender in sent_by if sender is None}:
        reached: set[int] = set()
        senders: list[int | None] = [None]
        for tier in range(1, max_tiers + 1):
            # Only consignees first reached one tier up pass their shipments on to this tier.
            first_reached: list[int | None] = []
            for sender in senders:
                for consignee, quantity in sent_by.get((batch, sender), ()):
                    received[batch, consignee, tier] += quantity
                    if consignee not in reached:
                        reached.add(consignee)
                        first_reached.append(consignee)
            if not first_reached:
                break
            senders = first_reached
    return received


async def _trace(traced_sql: str, *keys: int) -> Trace:
    batches = await _batches(traced_sql, *keys)
    rows = await _fetch(
        f"SELECT batch, consignee, sender, quantity FROM shipment WHERE batch IN ({traced_sql})",
        keys,
    )
    received = walk((r["batch"], r["consignee"], r["sender"], r["quantity"]) for r in rows)
    who = await _consignees({consignee for _, consignee, _ in received})
    batch_no = {batch.id: batch.batch_no for batch in batches}
    lines = []
    for (batch, consignee, tier), quantity in received.items():
        code, name, kind, country, province = who[consignee]
        lines.append(
            TracedConsignee(consignee, code, name, kind, tier, batch, batch_no[batch], quantity,
                            country, province)
        )  # fmt: skip
    lines.sort(key=attrgetter("tier", "code", "batch_no", "batch_id"))
    total = sum(line.quantity for line in lines if line.tier == 1)
    return Trace(batches, lines, total)


async def _consignees(ids: set[int]) -> dict[int, tuple[str, str, str, str, str | None]]:
    """Code, name, kind, country and province of each consignee."""
    sql = "SELECT id, code, name, kind, country, province FROM consignee WHERE id IN (*)"
    rows = await db.fetch_in(sql, list(ids))
    return {
        row["id"]: (row["code"], row["name"], row["kind"], row["country"], row["province"])
        for row in rows
    }


async def _batches(traced_sql: str, *keys: int) -> list[BatchView]:
    sql = (
        f"SELECT {BATCH_VIEW_COLUMNS} FROM batch b JOIN product p ON p.id = b.product "
        f"WHERE b.id IN ({traced_sql}) ORDER BY b.batch_no, b.id"
    )
    return [batch_view(row) for row in await _fetch(sql, keys)]


async def _fetch(sql: str, keys: Sequence[int]) -> list[Mapping[str, Any]]:
    """Rows of `sql` over the traced batches: a list of ids (`IN (*)`) or one lot's id."""
    if "IN (*)" in sql:
        return await db.fetch_in(sql, keys)
    return await db.fetch(sql, *keys)

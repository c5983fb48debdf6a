"""What a proposed recall would reach, shown before it is proposed.

The same notice plan as approval (`trace_plan`), named from the trace (`masterdata.trace_batches`),
summed per tier so that a trace of thousands of consignees stays quick to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from recall import masterdata
from recall.recalls._models import Depth
from recall.recalls._plan import trace_plan
from recall.recalls._service import batches_by_id, covered_batches
from recall.rules import choice, is_valid_id

CONSIGNEES_SHOWN = 50


@dataclass(frozen=True)
class TierPreview:
    """The consignees that would get a notice at one tier, and the units they received."""

    tier: int
    consignees: int
    quantity: int
    quantity_by_batch: dict[int, int]


@dataclass(frozen=True)
class ConsigneePreview:
    code: str
    name: str
    kind: str
    tier: int
    quantity: int


@dataclass(frozen=True)
class RecallPreview:
    batches: list[masterdata.BatchView]
    material_lot: masterdata.MaterialLot | None
    tiers: list[TierPreview]
    consignees: list[ConsigneePreview]  # the first CONSIGNEES_SHOWN, by tier and code
    consignees_total: int
    quantity_distributed: int  # units that left the plant (tier 1 of the trace)


async def preview_recall(
    depth: str,
    batch_ids: list[int] | None = None,
    material_lot_id: int | None = None,
    shown: int = CONSIGNEES_SHOWN,
) -> RecallPreview:
    """The batches a proposal covers and the notices its approval would plan, per tier.

    Refuses what `propose_recall` refuses about the batches, lot and depth (InvalidInput).
    """
    checked_depth = choice(Depth, depth, "depth").value
    batches, lot = await covered_batches(batch_ids, material_lot_id)
    trace = await masterdata.trace_batches([batch.id for batch in batches])
    planned = await trace_plan(checked_depth, [batch.id for batch in batches])
    named = {line.consignee_id: line for line in trace.consignees}
    tiers: dict[int, dict[int, int]] = {}
    counts: dict[int, int] = {}
    for notice in planned:
        counts[notice.tier] = counts.get(notice.tier, 0) + 1
        by_batch = tiers.setdefault(notice.tier, {})
        for line in notice.lines:
            by_batch[line.batch_id] = by_batch.get(line.batch_id, 0) + line.quantity_distributed
    consignees = sorted(
        (
            ConsigneePreview(
                code=named[notice.consignee_id].code,
                name=named[notice.consignee_id].name,
                kind=named[notice.consignee_id].kind,
                tier=notice.tier,
                quantity=sum(line.quantity_distributed for line in notice.lines),
            )
            for notice in planned
        ),
        key=lambda consignee: (consignee.tier, consignee.code),
    )
    return RecallPreview(
        batches=batches,
        material_lot=lot,
        tiers=[
            TierPreview(tier, counts[tier], sum(by_batch.values()), by_batch)
            for tier, by_batch in sorted(tiers.items())
        ],
        consignees=consignees[:shown],
        consignees_total=len(planned),
        quantity_distributed=trace.total_quantity,
    )


async def recalled_batches(batch_ids: list[int]) -> list[masterdata.BatchView]:
    """These batches as a proposal lists them, by batch number (unknown ids left out)."""
    ids = sorted({batch_id for batch_id in batch_ids if is_valid_id(batch_id)})
    return await batches_by_id(ids) if ids else []

"""The lean reach that plans notices finds what the full trace finds: every consignee at the
tier it was reached, with its kind and its units of each batch."""

from __future__ import annotations

from recall import masterdata
from tests.factories import make_consignee, recent_batch, ship


async def test_the_reach_of_batches_is_the_trace_without_names():
    syrup, tablets = await recent_batch(), await recent_batch(name="Tablet Amoksisilin")
    pbf, sub = await make_consignee("R-PBF"), await make_consignee("R-SUB")
    pharmacy = await make_consignee("R-APT", kind="pharmacy")
    hospital = await make_consignee("R-RS", kind="hospital")
    await ship(syrup, pbf, 1000)
    await ship(tablets, pbf, 400)
    await ship(syrup, sub, 300, sender=pbf)  # a wholesaler of a wholesaler: tier 2
    await ship(syrup, pharmacy, 40, sender=sub)  # tier 3
    await ship(syrup, pharmacy, 10, sender=pbf)  # and tier 2 as well
    await ship(tablets, hospital, 25, sender=pbf)
    await ship(syrup, pbf, 5, sender=pharmacy)  # a return upstream reaches nobody new

    ids = [syrup.id, tablets.id]
    trace = await masterdata.trace_batches(ids)
    traced = sorted(
        (line.consignee_id, line.kind, line.tier, line.batch_id, line.quantity)
        for line in trace.consignees
    )
    assert sorted(await masterdata.reach_of_batches(ids)) == traced
    assert len(traced) == 7
    assert await masterdata.reach_of_batches([]) == []

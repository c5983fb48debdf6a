"""The notice plan the database works out: one notice per consignee within the depth, at
the lowest tier it is reached, counting what it received there; the same plan whether read
whole or staged and read chunk by chunk, and the same as the trace pages' walk implies."""

from __future__ import annotations

import random
from itertools import groupby
from operator import attrgetter

from recall import masterdata
from recall.notices import PlannedLine, PlannedNotice, within_depth
from recall.recalls._plan import stage_plan, staged_notices, trace_plan, unstage
from tests.factories import make_consignee, recent_batch, ship


def plan_from_trace(depth: str, trace: masterdata.Trace) -> list[PlannedNotice]:
    """The plan's rule applied to the trace pages' own walk, in plain Python."""
    eligible = sorted(
        (line for line in trace.consignees if within_depth(depth, line.tier, line.kind)),
        key=attrgetter("consignee_id", "tier"),
    )
    planned = []
    for consignee_id, lines in groupby(eligible, key=attrgetter("consignee_id")):
        first, *others = lines
        units = {first.batch_id: first.quantity}
        for line in others:
            if line.tier == first.tier:
                units[line.batch_id] = units.get(line.batch_id, 0) + line.quantity
        lines_planned = tuple(PlannedLine(batch, units[batch]) for batch in sorted(units))
        planned.append(PlannedNotice(consignee_id, first.tier, lines_planned))
    return sorted(planned, key=attrgetter("tier", "consignee_id"))


async def test_one_notice_per_consignee_at_its_lowest_tier():
    syrup, tablets = await recent_batch(), await recent_batch(name="Tablet Amoksisilin")
    pbf = await make_consignee("P-PBF")
    sub = await make_consignee("P-SUB")
    pharmacy = await make_consignee("P-APT", kind="pharmacy")
    hospital = await make_consignee("P-RS", kind="hospital")
    await ship(syrup, pbf, 1000)
    await ship(tablets, pbf, 200)
    await ship(syrup, sub, 300, sender=pbf)  # tier 2
    await ship(syrup, pharmacy, 40, sender=pbf)  # tier 2
    await ship(syrup, pbf, 5, sender=sub)  # back up to the wholesaler: counted at tier 1 only
    await ship(tablets, hospital, 50)

    assert await trace_plan("retail", [syrup.id, tablets.id]) == [
        PlannedNotice(pbf.id, 1, (PlannedLine(syrup.id, 1000), PlannedLine(tablets.id, 200))),
        PlannedNotice(hospital.id, 1, (PlannedLine(tablets.id, 50),)),
        PlannedNotice(sub.id, 2, (PlannedLine(syrup.id, 300),)),
        PlannedNotice(pharmacy.id, 2, (PlannedLine(syrup.id, 40),)),
    ]
    wholesale = await trace_plan("wholesale", [syrup.id, tablets.id])
    assert [(n.consignee_id, n.tier) for n in wholesale] == [
        (pbf.id, 1),
        (hospital.id, 1),
        (sub.id, 2),
    ]


async def test_a_plan_of_nothing_is_empty():
    assert await trace_plan("consumer", []) == []
    assert await trace_plan("consumer", [(await recent_batch()).id]) == []


async def test_the_plan_is_what_the_trace_pages_walk_implies_on_random_distributions():
    generator = random.Random(17)
    kinds = ["pbf", "pbf", "pharmacy", "hospital", "clinic", "drugstore", "other"]
    for round_ in range(12):
        batches = [await recent_batch(name=f"Sirup {round_}-{n}") for n in range(2)]
        consignees = [
            await make_consignee(f"G{round_}-{n}", kind=generator.choice(kinds))
            for n in range(generator.randint(3, 14))
        ]
        holders: dict[int, list[masterdata.Consignee]] = {batch.id: [] for batch in batches}
        for _ in range(generator.randint(2, 30)):
            batch = generator.choice(batches)
            sender = generator.choice([None, None, *holders[batch.id]])  # only what it holds
            receiver = generator.choice([c for c in consignees if c is not sender])
            await ship(batch, receiver, generator.randint(1, 50), sender=sender)
            holders[batch.id].append(receiver)
        ids = [batch.id for batch in batches]
        trace = await masterdata.trace_batches(ids)
        for depth in ("wholesale", "retail", "consumer"):
            assert await trace_plan(depth, ids) == plan_from_trace(depth, trace), (round_, depth)


async def test_a_staged_plan_read_chunk_by_chunk_is_the_whole_plan():
    batch = await recent_batch()
    wholesalers = [await make_consignee(f"S-PBF{n}") for n in range(3)]
    for n, wholesaler in enumerate(wholesalers):
        await ship(batch, wholesaler, 100 + n)
        for m in range(4):
            pharmacy = await make_consignee(f"S-APT{n}{m}", kind="pharmacy")
            await ship(batch, pharmacy, 10 + m, sender=wholesaler)
    whole = await trace_plan("consumer", [batch.id])
    recall_id = 4242  # the staged plan is keyed by recall id alone

    assert await stage_plan(recall_id, "consumer", [batch.id]) == len(whole) == 15
    tier_one = await staged_notices(recall_id, most=100, tier_one_only=True)
    assert tier_one == [notice for notice in whole if notice.tier == 1]
    await unstage(recall_id, tier_one)
    read = []
    while chunk := await staged_notices(recall_id, most=5):
        read += chunk
        await unstage(recall_id, chunk)
    assert sorted(tier_one + read, key=attrgetter("tier", "consignee_id")) == whole

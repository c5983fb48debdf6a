"""Approval against the database: bulk notices, one winner among racing managers, nothing
written on a refused signature, material-lot recalls reaching every batch's consignees."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from recall import audit, auth, clock, db, masterdata, recalls
from recall.actors import SYSTEM, Actor
from recall.clock import today
from recall.errors import Conflict, NotAuthenticated
from tests.factories import (
    PASSWORD,
    add_material,
    make_actor,
    make_consignee,
    make_material_lot,
    recent_batch,
)
from tests.reads import MISFILED_LINES


async def propose(proposer: Actor, **changes) -> recalls.Recall:
    values = {
        "reason": "Solvent lot contaminated with ethylene glycol",
        "recall_class": "I",
        "recall_type": "voluntary",
        "depth": "retail",
        "profile": "bpom",
        "health_hazard_assessment": "Serious: acute kidney injury",
    }
    values.update(changes)
    return await recalls.propose_recall(proposer, recalls.RecallProposal(**values))


async def bulk_distribution(batch_ids: list[int], wholesalers: int, pharmacies: int) -> int:
    """Consignees and shipments written in bulk: every wholesaler gets every batch from us,
    each pharmacy gets the first batch from one wholesaler. Returns the units shipped by us."""
    now, shipped_on = clock.now(), today()
    codes = [f"W{n:06d}" for n in range(wholesalers)] + [f"P{n:06d}" for n in range(pharmacies)]
    async with db.transaction():
        for start in range(0, len(codes), 1000):
            chunk = codes[start : start + 1000]
            values: list[object] = []
            for code in chunk:
                kind = "pbf" if code.startswith("W") else "pharmacy"
                secret = masterdata.seal_webhook_secret(f"whsec_{secrets.token_hex(8)}")
                values += [code, f"Consignee {code}", kind, secret, now]
            await db.fetch(
                "INSERT INTO consignee (code, name, kind, webhook_secret, active, created_at) "
                "VALUES " + ", ".join(["({}, {}, {}, {}, TRUE, {})"] * len(chunk)),
                *values,
            )
        ids = {row["code"]: row["id"] for row in await db.fetch("SELECT id, code FROM consignee")}
        shipments: list[tuple[int, int, int | None, int]] = []
        for n in range(wholesalers):
            shipments += [(batch_id, ids[f"W{n:06d}"], None, 100) for batch_id in batch_ids]
        for n in range(pharmacies):
            sender = ids[f"W{n % wholesalers:06d}"]
            shipments.append((batch_ids[0], ids[f"P{n:06d}"], sender, 3))
        for start in range(0, len(shipments), 1000):
            chunk_rows = shipments[start : start + 1000]
            await db.fetch(
                "INSERT INTO shipment (batch, consignee, sender, quantity, shipped_on, created_at) "
                "VALUES " + ", ".join(["({}, {}, {}, {}, {}, {})"] * len(chunk_rows)),
                *[v for row in chunk_rows for v in (*row, shipped_on, now)],
            )
    return wholesalers * len(batch_ids) * 100


async def count(sql: str, *values: object) -> int:
    return int((await db.fetch(sql, *values))[0]["n"])


async def test_thousands_of_notices_are_created_in_bulk_in_one_approval():
    batches = [await recent_batch(), await recent_batch()]
    shipped = await bulk_distribution([b.id for b in batches], wholesalers=1200, pharmacies=1300)
    recall = await propose(await make_actor("qa"), batch_ids=[b.id for b in batches])

    approved = await recalls.approve_recall(
        await make_actor("qa_manager"), recall.id, PASSWORD, "OK"
    )

    assert approved.status == "in_progress"
    assert approved.progress.consignees_total == 2500
    assert approved.progress.quantity_distributed == shipped
    assert await count("SELECT COUNT(*) AS n FROM notice_line") == 1200 * 2 + 1300
    assert await count(MISFILED_LINES) == 0
    assert await count("SELECT COUNT(DISTINCT token) AS n FROM notice") == 2500
    notices, total = await recalls.list_recall_notices(recall.id, limit=5, offset=1199)
    assert total == 2500
    assert [(n.tier, n.consignee_code) for n in notices] == [
        (1, "W001199"), (2, "P000000"), (2, "P000001"), (2, "P000002"), (2, "P000003"),
    ]  # fmt: skip
    # One approval entry, not one per notice.
    assert [e.action for e in await audit.history("recall", recall.id)] == ["proposed", "approved"]
    assert await count("SELECT COUNT(*) AS n FROM audit_entry WHERE entity = 'notice'") == 0


@pytest.mark.faults  # a race: run with the other fault tests
async def test_racing_managers_produce_one_approval_and_one_set_of_notices():
    batch = await recent_batch()
    await bulk_distribution([batch.id], wholesalers=30, pharmacies=60)
    recall = await propose(await make_actor("qa"), batch_ids=[batch.id])
    first, second = await make_actor("qa_manager"), await make_actor("qa_manager")

    results = await asyncio.gather(
        recalls.approve_recall(first, recall.id, PASSWORD, "Approved"),
        recalls.approve_recall(second, recall.id, PASSWORD, "Approved"),
        return_exceptions=True,
    )

    winners = [r for r in results if isinstance(r, recalls.Recall)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert await count("SELECT COUNT(*) AS n FROM notice") == 90
    assert await count("SELECT COUNT(*) AS n FROM signature") == 1
    deadlines = await count("SELECT COUNT(*) AS n FROM recall_deadline")
    assert deadlines == len(winners[0].deadlines) > 0
    assert [e.action for e in await audit.history("recall", recall.id)] == ["proposed", "approved"]


async def test_refused_signature_writes_no_approval():
    batch = await recent_batch()
    await bulk_distribution([batch.id], wholesalers=3, pharmacies=3)
    recall = await propose(await make_actor("qa"), batch_ids=[batch.id])

    with pytest.raises(NotAuthenticated):
        await recalls.approve_recall(
            await make_actor("qa_manager"), recall.id, "not it", "Approved"
        )

    for table in ("notice", "notice_line", "signature", "recall_deadline"):
        assert await count(f"SELECT COUNT(*) AS n FROM {table}") == 0, table
    unchanged = await recalls.get_recall(recall.id)
    assert (unchanged.status, unchanged.version, unchanged.approved_at) == ("proposed", 1, None)


async def test_material_lot_recall_notifies_the_consignees_of_every_batch():
    lot = await make_material_lot()
    batches = [await recent_batch() for _ in range(3)]
    for batch in batches:
        await add_material(batch.id, lot.id)
    for n, batch in enumerate(batches):
        consignee = await make_consignee(f"PBF-{n}")
        await _ship(batch, consignee.code, 10 * (n + 1))

    recall = await propose(await make_actor("qa"), material_lot_id=lot.id, drill=True)
    approved = await recalls.approve_recall(
        await make_actor("qa_manager"), recall.id, PASSWORD, "Drill"
    )

    assert approved.drill is True
    assert {b.id for b in approved.batches} == {b.id for b in batches}
    assert approved.progress.consignees_total == 3
    assert approved.progress.quantity_distributed == 60
    [signature] = await auth.signatures_of("recall", recall.id)
    assert signature.record_hash == approved.signatures[0].record_hash


async def _ship(batch, consignee_code: str, quantity: int) -> None:
    from recall import masterdata

    await masterdata.record_shipment(
        SYSTEM, batch.gtin, batch.batch_no, consignee_code, quantity, today()
    )

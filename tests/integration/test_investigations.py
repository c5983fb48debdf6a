"""Investigation use cases on the database: atomic grouping, concurrency, audit, suggestions."""

import asyncio
from datetime import UTC, datetime

import pytest

from recall import audit, clock, complaints, db, investigations
from recall.actors import SYSTEM, Actor, Role
from recall.complaints import Reporter
from recall.errors import Conflict, InvalidInput
from tests.factories import PASSWORD, add_material, make_batch, make_material_lot, make_user

ROOT_CAUSE = {"root_cause_category": "material", "root_cause": "Contaminated excipient lot."}


async def qa_actor() -> Actor:
    user = await make_user("qa")
    return Actor(user.id, user.username, user.full_name, frozenset({Role.QA}))


async def complaint(batch=None, *, triaged: bool = True, investigate: bool = True):
    logged = await complaints.log_complaint(
        SYSTEM,
        complaints.ComplaintIntake(
            channel="phone",
            reporter=Reporter("Ani Wijaya", "pharmacist"),
            description="Cloudy syrup.",
            adverse_event=False,
            sample_available=False,
            gtin=batch.gtin if batch else None,
            batch_no=batch.batch_no if batch else None,
        ),
    )
    if triaged:
        await db.fetch(
            "UPDATE complaint SET status = 'triaged', investigate = {}, category = 'other', "
            "severity = 'minor' WHERE id = {}",
            investigate,
            logged.id,
        )
    return logged


async def status_of(complaint_id: int) -> str:
    rows = await db.fetch("SELECT status FROM complaint WHERE id = {}", complaint_id)
    return rows[0]["status"]


async def test_opening_is_all_or_nothing():
    actor = await qa_actor()
    good, untriaged = await complaint(), await complaint(triaged=False)
    entries_before = (await audit.verify()).entries
    with pytest.raises(Conflict, match=untriaged.reference):
        await investigations.open_investigation(actor, "Cloudy", [good.id, untriaged.id])
    assert await status_of(good.id) == "triaged"
    assert (await investigations.list_investigations())[1] == 0
    assert (await audit.verify()).entries == entries_before
    opened = await investigations.open_investigation(actor, "Cloudy", [good.id])
    assert opened.reference == f"INV-{datetime.now(UTC).year}-0001"  # the refused one took none


async def test_grouping_needs_the_callers_transaction():
    with pytest.raises(RuntimeError):
        await complaints.attach_to_investigation(SYSTEM, [1], 1)


async def test_concurrent_openings_over_one_complaint_produce_one_investigation():
    actor = await qa_actor()
    shared = await complaint()
    results = await asyncio.gather(
        *(investigations.open_investigation(actor, f"Try {n}", [shared.id]) for n in range(4)),
        return_exceptions=True,
    )
    opened = [r for r in results if isinstance(r, investigations.Investigation)]
    assert len(opened) == 1
    assert all(isinstance(r, Conflict) for r in results if r not in opened)
    assert (await investigations.list_investigations())[1] == 1
    assert await status_of(shared.id) == "under_investigation"


async def test_concurrent_conclusions_produce_one():
    actor = await qa_actor()
    opened = await investigations.open_investigation(actor, "x", [(await complaint()).id])
    await investigations.update_investigation(
        actor, opened.id, investigations.InvestigationChange(**ROOT_CAUSE)
    )
    results = await asyncio.gather(
        *(
            investigations.conclude_investigation(
                actor, opened.id, f"Conclusion {n}", n % 2 == 0, PASSWORD, "Concluded"
            )
            for n in range(4)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, investigations.Investigation) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 3
    concluded = await audit.history("investigation", opened.id)
    assert [e.action for e in concluded].count("concluded") == 1


async def test_concurrent_patches_with_one_version_produce_one():
    actor = await qa_actor()
    opened = await investigations.open_investigation(actor, "x", [(await complaint()).id])
    results = await asyncio.gather(
        *(
            investigations.update_investigation(
                actor,
                opened.id,
                investigations.InvestigationChange(findings=f"finding {n}", version=opened.version),
            )
            for n in range(4)
        ),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, investigations.Investigation)]
    assert len(winners) == 1
    assert (await investigations.get_investigation(opened.id)).findings == winners[0].findings


async def test_concurrent_completions_of_one_capa_produce_one():
    actor = await qa_actor()
    opened = await investigations.open_investigation(actor, "x", [(await complaint()).id])
    plan = investigations.CapaPlan("corrective", "Fix it", "Budi", clock.today())
    capa = await investigations.add_capa(actor, opened.id, plan)
    results = await asyncio.gather(
        *(investigations.complete_capa(actor, capa.id, f"note {n}") for n in range(4)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, investigations.Capa) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 3


async def test_patching_unknown_batches_names_them_and_changes_nothing():
    actor = await qa_actor()
    batch = await make_batch()
    opened = await investigations.open_investigation(actor, "x", [(await complaint()).id])
    with pytest.raises(InvalidInput, match=r"affected_batch_ids: no batch with id 888, 999"):
        await investigations.update_investigation(
            actor,
            opened.id,
            investigations.InvestigationChange(
                findings="new", affected_batch_ids=[batch.id, 888, 999, 888]
            ),
        )
    unchanged = await investigations.get_investigation(opened.id)
    assert unchanged.findings is None
    assert unchanged.version == opened.version


async def test_suggestions_follow_complained_and_affected_batches():
    actor = await qa_actor()
    complained, affected = await make_batch(), await make_batch()
    via_complaint, via_affected, via_both = (
        await make_batch(),
        await make_batch(),
        await make_batch(),
    )
    lot_a = await make_material_lot(lot_no="LOT-A")
    lot_b = await make_material_lot(lot_no="LOT-B", material="Sorbitol")
    await add_material(complained.id, lot_a.id)
    await add_material(affected.id, lot_b.id)
    await add_material(via_complaint.id, lot_a.id)
    await add_material(via_affected.id, lot_b.id)
    await add_material(via_both.id, lot_a.id)
    await add_material(via_both.id, lot_b.id)

    opened = await investigations.open_investigation(actor, "x", [(await complaint(complained)).id])
    assert {b.id for b in opened.suggested_batches} == {via_complaint.id, via_both.id}

    updated = await investigations.update_investigation(
        actor, opened.id, investigations.InvestigationChange(affected_batch_ids=[affected.id])
    )
    suggested = {b.id: b for b in updated.suggested_batches}
    assert set(suggested) == {via_complaint.id, via_affected.id, via_both.id}
    assert [lot.lot_no for lot in suggested[via_both.id].shared_lots] == ["LOT-A", "LOT-B"]
    assert complained.id not in suggested
    assert affected.id not in suggested


async def test_every_step_keeps_the_audit_chain_valid():
    actor = await qa_actor()
    batch = await make_batch()
    grouped = await complaint(batch)
    opened = await investigations.open_investigation(actor, " Cloudy syrup ", [grouped.id])
    assert opened.title == "Cloudy syrup"
    await investigations.update_investigation(
        actor,
        opened.id,
        investigations.InvestigationChange(affected_batch_ids=[batch.id], **ROOT_CAUSE),
    )
    plan = investigations.CapaPlan(
        "preventive", "Qualify a second supplier", "Purchasing", clock.today()
    )
    capa = await investigations.add_capa(actor, opened.id, plan)
    await investigations.complete_capa(actor, capa.id)
    concluded = await investigations.conclude_investigation(
        actor, opened.id, "Done.", True, PASSWORD, "Concluded"
    )
    assert concluded.concluded_by == actor.id
    assert concluded.concluded_by_name == actor.full_name
    assert [e.action for e in await audit.history("capa", capa.id)] == ["created", "completed"]
    entry = (await audit.history("complaint", grouped.id))[-1]
    assert entry.actor_id == actor.id
    verification = await audit.verify()
    assert verification.ok, verification

"""Complaint use cases against the database: references, audit, duplicates, search."""

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from recall import audit, complaints
from recall.actors import SYSTEM, Actor, Role
from recall.complaints import ComplaintIntake, Reporter, log_complaint
from recall.complaints import tables as complaint_tables
from recall.errors import InvalidInput, NotFound
from tests.factories import make_batch, make_product, make_user

AT = datetime(2026, 3, 14, 10, 30, tzinfo=UTC)
PATIENT = Reporter("Ani Wijaya", "patient", contact="ani@example.com")


async def logged(**changes):
    values = {
        "channel": "phone",
        "reporter": PATIENT,
        "description": "Syrup is cloudy.",
        "adverse_event": False,
        "sample_available": False,
        "received_at": AT,
    }
    values.update(changes)
    return await log_complaint(SYSTEM, ComplaintIntake(**values))


async def set_category(complaint_id, category):
    await complaint_tables.Complaint.update({complaint_tables.Complaint.category: category}).where(
        complaint_tables.Complaint.id == complaint_id
    )


async def test_log_complaint_returns_a_frozen_complaint_with_its_reference():
    user = await make_user("cs")
    actor = Actor(user.id, user.username, user.full_name, frozenset({Role.CS}))
    batch = await make_batch(batch_no="INT1")
    complaint = await log_complaint(
        actor,
        ComplaintIntake(
            channel="distributor",
            reporter=Reporter(
                "Budi", "distributor", organization="PT Sehat PBF", contact="021-555"
            ),
            description="  Broken seals on 3 cartons.  ",
            adverse_event=True,
            sample_available=True,
            gtin=batch.gtin,
            batch_no="INT1",
            received_at=AT,
        ),
    )
    assert complaint.reference == "CMP-2026-000001"
    assert complaint.status == "received"
    assert complaint.description == "Broken seals on 3 cartons."
    assert complaint.reporter == Reporter("Budi", "distributor", "PT Sehat PBF", "021-555")
    assert (complaint.batch_id, complaint.batch_known) == (batch.id, True)
    assert complaint.expires_on == date(2028, 1, 31)
    assert complaint.created_by == user.id
    assert complaint.received_at == AT
    with pytest.raises(dataclasses.FrozenInstanceError):
        complaint.status = "closed"  # type: ignore[misc]
    assert await complaints.get_complaint(complaint.id) == complaint


async def test_reference_year_comes_from_received_at_in_utc_and_restarts_yearly():
    jakarta = timezone(timedelta(hours=7))
    a = await logged(received_at=datetime(2027, 1, 1, 5, 0, tzinfo=jakarta))  # 2026 in UTC
    b = await logged(received_at=datetime(2027, 1, 1, 7, 0, tzinfo=jakarta))
    c = await logged(received_at=datetime(2026, 6, 1, tzinfo=UTC))
    assert [a.reference, b.reference, c.reference] == [
        "CMP-2026-000001", "CMP-2027-000001", "CMP-2026-000002",
    ]  # fmt: skip


async def test_naive_received_at_is_refused():
    with pytest.raises(InvalidInput) as error:
        await logged(received_at=datetime(2026, 1, 1))
    assert error.value.field == "received_at"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"reporter": Reporter("Ani", "alien")}, "reporter.kind"),
        ({"reporter": Reporter("", "patient")}, "reporter.name"),
        ({"reporter": Reporter("Ani", "nurse", contact="x" * 201)}, "reporter.contact"),
        ({"description": "x" * 5001}, "description"),
        ({"gtin": "08991234567890"}, "gtin"),
    ],
)
async def test_refused_input_writes_nothing_and_uses_no_number(changes, field):
    with pytest.raises(InvalidInput) as error:
        await logged(**changes)
    assert error.value.field == field
    assert await audit.list_entries("complaint") == ([], 0)
    assert (await logged()).reference == "CMP-2026-000001"


async def test_creation_is_audited_with_its_values():
    product = await make_product()
    complaint = await logged(gtin=product.gtin, batch_no="NEVER1")
    [entry] = await complaints.complaint_history(complaint.id)
    assert (entry.action, entry.entity, entry.actor_name) == (
        "created",
        "complaint",
        "Recall system (system)",
    )
    assert entry.new_values["reference"] == complaint.reference
    assert entry.new_values["product_id"] == product.id
    assert entry.new_values["batch_no"] == "NEVER1"
    assert entry.new_values["batch_id"] is None
    assert entry.new_values["received_at"] == AT.isoformat()
    assert (await audit.verify()).ok


async def test_concurrent_use_cases_take_distinct_references():
    results = await asyncio.gather(*(logged(description=f"case {n}") for n in range(20)))
    assert sorted(c.reference for c in results) == [f"CMP-2026-{n:06d}" for n in range(1, 21)]
    assert len({c.id for c in results}) == 20


async def test_unknown_id_is_not_found():
    for complaint_id in (1, -5, 2**40):
        with pytest.raises(NotFound):
            await complaints.get_complaint(complaint_id)


# Possible duplicates ---------------------------------------------------------------------


async def test_duplicates_follow_the_category_once_it_is_set():
    batch = await make_batch(batch_no="CAT1")
    subject = await logged(gtin=batch.gtin, batch_no="CAT1")
    same = await logged(gtin=batch.gtin, batch_no="CAT1", received_at=AT + timedelta(days=2))
    different = await logged(gtin=batch.gtin, batch_no="CAT1", received_at=AT + timedelta(days=3))
    untriaged = await logged(gtin=batch.gtin, batch_no="CAT1", received_at=AT + timedelta(days=4))

    before = await complaints.possible_duplicates(subject)
    assert [d.id for d in before] == [same.id, different.id, untriaged.id]

    await set_category(subject.id, "counterfeit")
    await set_category(same.id, "counterfeit")
    await set_category(different.id, "packaging")
    triaged = await complaints.get_complaint(subject.id)
    after = await complaints.possible_duplicates(triaged)
    assert [(d.id, d.category) for d in after] == [(same.id, "counterfeit")]


async def test_duplicates_window_is_thirty_days_inclusive():
    batch = await make_batch(batch_no="WIN1")
    subject = await logged(gtin=batch.gtin, batch_no="WIN1")
    inside = [
        await logged(gtin=batch.gtin, batch_no="WIN1", received_at=AT + delta)
        for delta in (timedelta(days=-30), timedelta(days=30))
    ]
    for delta in (timedelta(days=-30, seconds=-1), timedelta(days=30, seconds=1)):
        await logged(gtin=batch.gtin, batch_no="WIN1", received_at=AT + delta)
    found = await complaints.possible_duplicates(subject)
    assert [d.id for d in found] == [c.id for c in inside]


async def test_batch_registered_later_still_links_earlier_complaints():
    product = await make_product()
    early = await logged(gtin=product.gtin, batch_no="LATE1")
    assert early.batch_known is False
    batch = await make_batch(product.gtin, batch_no="LATE1")
    later = await logged(gtin=product.gtin, batch_no="LATE1", received_at=AT + timedelta(days=1))
    assert later.batch_id == batch.id
    assert [d.id for d in await complaints.possible_duplicates(later)] == [early.id]
    assert [d.id for d in await complaints.possible_duplicates(early)] == [later.id]


async def test_batch_number_without_product_matches_only_product_less_complaints():
    product = await make_product()
    bare = await logged(batch_no="LOOSE1")
    bare_again = await logged(batch_no="LOOSE1", received_at=AT + timedelta(hours=1))
    await logged(gtin=product.gtin, batch_no="LOOSE1")
    assert [d.id for d in await complaints.possible_duplicates(bare)] == [bare_again.id]
    assert await complaints.possible_duplicates(await logged()) == []


# Listing ----------------------------------------------------------------------------------


async def test_list_orders_by_receipt_not_by_entry():
    old = await logged(received_at=AT - timedelta(days=5))  # typed in late, received earlier
    new = await logged(received_at=AT)
    back_dated = await logged(received_at=AT - timedelta(days=10))
    items, total = await complaints.list_complaints()
    assert [c.id for c in items] == [new.id, old.id, back_dated.id]
    assert total == 3


async def test_search_handles_the_escape_character_and_case():
    bang = await logged(description="Label says 'shake well!' twice")
    await logged(description="Label missing")
    items, _ = await complaints.list_complaints(q="well!")
    assert [c.id for c in items] == [bang.id]
    reporter = await logged(reporter=Reporter("Dr. Ayu", "physician", organization="RSUD Cipto"))
    items, _ = await complaints.list_complaints(q="rsud cipto")
    assert [c.id for c in items] == [reporter.id]


async def test_list_refuses_bad_filters_naming_them():
    for kwargs, field in [
        ({"status": "lost"}, "status"),
        ({"q": "x" * 201}, "q"),
        ({"offset": 2**40}, "offset"),
        ({"batch_no": "B\x001"}, "batch_no"),
    ]:
        with pytest.raises(InvalidInput) as error:
            await complaints.list_complaints(**kwargs)
        assert error.value.field == field

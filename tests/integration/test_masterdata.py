"""Master-data use cases against the database: uniqueness under races, look-ups, audit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from recall import audit, masterdata
from recall.actors import SYSTEM
from recall.errors import Conflict, InvalidInput, NotFound
from tests.factories import (
    add_material,
    make_batch,
    make_consignee,
    make_material_lot,
    make_product,
    new_gtin,
    new_nie,
)


async def test_factories_build_valid_master_data():
    batch = await make_batch()
    lot = await make_material_lot()
    link = await add_material(batch.id, lot.id)
    pbf = await make_consignee()
    pharmacy = await make_consignee(kind="pharmacy", parent_code=pbf.code)
    assert link.batch_id == batch.id
    assert pharmacy.parent_code == pbf.code
    assert (await audit.verify()).ok


async def _at_once(create: Callable[[], Awaitable[object]], times: int = 3) -> list[object]:
    """Runs `create` several times concurrently: what each returned, or its Conflict."""

    async def attempt() -> object:
        try:
            return await create()
        except Conflict as exc:
            return exc

    return list(await asyncio.gather(*(attempt() for _ in range(times))))


def _conflicts(results: list[object], naming: str) -> int:
    """How many results are Conflicts; each must name `naming`."""
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert all(naming in str(conflict) for conflict in conflicts)
    return len(conflicts)


async def _entries() -> int:
    return (await audit.list_entries())[1]


async def test_a_second_product_with_one_gtin_is_a_conflict():
    product = await make_product()
    before = await _entries()
    with pytest.raises(Conflict, match="GTIN"):
        await masterdata.create_product(SYSTEM, product.gtin, new_nie(), "Copy", "1 mg", "tablet")
    assert await _entries() == before
    assert (await masterdata.list_products())[1] == 1


async def test_concurrent_creates_of_one_batch_make_one_batch():
    product = await make_product()
    results = await _at_once(lambda: make_batch(product.gtin, batch_no="R1"))
    assert _conflicts(results, "R1") == 2
    assert (await masterdata.list_batches())[1] == 1


async def test_concurrent_creates_of_one_material_lot_make_one_lot():
    results = await _at_once(lambda: make_material_lot(material="Glycerol", lot_no="GL-9"))
    assert _conflicts(results, "GL-9") == 2
    assert (await masterdata.list_material_lots())[1] == 1


async def test_concurrent_links_of_one_lot_to_one_batch_make_one_link():
    batch, lot = await make_batch(), await make_material_lot()
    results = await _at_once(lambda: add_material(batch.id, lot.id))
    assert _conflicts(results, lot.lot_no) == 2
    assert len(await masterdata.list_batch_materials(batch.id)) == 1


async def test_concurrent_creates_of_one_consignee_code_make_one_consignee():
    results = await _at_once(lambda: make_consignee("PBF-RACE"))
    assert _conflicts(results, "PBF-RACE") == 2
    assert (await masterdata.list_consignees())[1] == 1
    assert (await audit.list_entries(entity="consignee"))[1] == 1


async def test_concurrent_creates_of_one_gtin_make_one_product():
    gtin = new_gtin()

    async def attempt() -> object:
        try:
            return await masterdata.create_product(
                SYSTEM, gtin, new_nie(), "Race", "5 mg", "tablet"
            )
        except Conflict as exc:
            return exc

    results = await asyncio.gather(*(attempt() for _ in range(5)))
    assert sum(isinstance(r, masterdata.Product) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 4
    assert (await audit.list_entries(entity="product"))[1] == 1


async def test_find_batch_accepts_any_gtin_form():
    batch = await make_batch(batch_no="FB1")
    assert await masterdata.find_batch(batch.gtin, "FB1") == batch
    assert await masterdata.find_batch(batch.gtin[1:], " FB1 ") == batch
    assert await masterdata.find_batch(batch.gtin, "FB2") is None
    assert await masterdata.find_batch("not-a-gtin", "FB1") is None


async def test_product_by_gtin_names_the_field():
    with pytest.raises(InvalidInput, match=r"^product_gtin: no product"):
        await masterdata.product_by_gtin(new_gtin(), field="product_gtin")


@pytest.mark.parametrize(
    "lookup",
    [
        masterdata.get_product,
        masterdata.get_batch,
        masterdata.get_material_lot,
        masterdata.get_consignee,
        masterdata.list_batch_materials,
    ],
)
@pytest.mark.parametrize("record_id", [0, -3, 424242, 2**31, 10**30])
async def test_unknown_ids_are_not_found(lookup: Callable[[int], Awaitable[Any]], record_id: int):
    with pytest.raises(NotFound):
        await lookup(record_id)


async def test_batch_materials_list_the_lots_in_order():
    batch = await make_batch(batch_no="SYR9")
    solvent = await make_material_lot(material="Propylene glycol", lot_no="PG-1")
    sweetener = await make_material_lot(material="Sorbitol", lot_no="SB-1")
    await add_material(batch.id, solvent.id, "12.5")
    await add_material(batch.id, sweetener.id, 3)
    links = await masterdata.list_batch_materials(batch.id)
    assert [(link.lot_no, link.material, link.quantity) for link in links] == [
        ("PG-1", "Propylene glycol", Decimal("12.5")),
        ("SB-1", "Sorbitol", Decimal("3")),
    ]
    assert {link.batch_no for link in links} == {"SYR9"}


async def test_consignee_kind_may_be_given_as_the_enum_and_filters():
    await make_consignee("H-1", kind=masterdata.ConsigneeKind.HOSPITAL)
    await make_consignee("P-1", kind="pharmacy")
    hospitals, total = await masterdata.list_consignees(kind="hospital")
    assert total == 1
    assert hospitals[0].kind == "hospital"
    with pytest.raises(InvalidInput, match=r"^kind: "):
        await masterdata.list_consignees(kind="supermarket")


async def test_consignee_by_code_and_its_parent():
    pbf = await make_consignee("PBF-9")
    pharmacy = await make_consignee("APT-9", kind="pharmacy", parent_code=" PBF-9 ")
    assert pharmacy.parent_code == "PBF-9"
    assert await masterdata.consignee_by_code("APT-9") == pharmacy
    assert await masterdata.get_consignee(pbf.id) == pbf
    with pytest.raises(InvalidInput, match=r"^parent_code: "):
        await make_consignee("APT-10", kind="pharmacy", parent_code="NOPE")


async def test_every_create_is_audited_with_its_values():
    product = await make_product(name="Salbutamol Syrup")
    batch = await make_batch(
        product.gtin,
        batch_no="SAL1",
        manufactured_on=date(2026, 3, 1),
        expires_on=date(2028, 2, 29),
        quantity_produced=5000,
    )
    [entry] = await audit.history("batch", batch.id)
    assert entry.action == "created"
    assert entry.actor_name == SYSTEM.display_name
    assert entry.new_values == {
        "gtin": product.gtin,
        "batch_no": "SAL1",
        "manufactured_on": "2026-03-01",
        "expires_on": "2028-02-29",
        "quantity_produced": 5000,
    }
    [created] = await audit.history("product", product.id)
    assert created.new_values["name"] == "Salbutamol Syrup"

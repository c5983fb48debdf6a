"""Bulk import of distribution records through the use case, on whichever database runs."""

from __future__ import annotations

from datetime import timedelta

from recall import audit, masterdata
from recall.actors import SYSTEM
from recall.clock import today
from tests.benchmarks.import_shipments import make_master_data, shipment_csv
from tests.factories import add_material, make_material_lot

LINES = 5_000


async def test_five_thousand_lines_import_and_trace():
    made_on = today() - timedelta(days=60)
    batches, pbfs, pharmacies = await make_master_data(2, 5, 8, 60, made_on)
    lot = await make_material_lot()
    for batch in batches:
        await add_material(batch.id, lot.id)
    text = shipment_csv(batches, pbfs, pharmacies, LINES, made_on + timedelta(days=7))

    result = await masterdata.import_shipments(SYSTEM, text)

    assert result.errors == []
    assert result.imported == LINES
    _, total = await masterdata.list_shipments(limit=1)
    assert total == LINES
    trail, count = await audit.list_entries(entity="shipment_import")
    assert count == 1
    assert trail[0].new_values["imported"] == LINES
    # What left the plant is exactly the tier-1 lines of the file (no sender column).
    rows = [line.split(",") for line in text.splitlines()[1:]]
    shipped_by_us = sum(int(row[3]) for row in rows if not row[5])
    passed_on = sum(int(row[3]) for row in rows if row[5])
    trace = await masterdata.trace_material_lot(lot.id)
    assert len(trace.batches) == len(batches)
    assert trace.total_quantity == shipped_by_us
    assert {line.tier for line in trace.consignees} == {1, 2}
    assert sum(line.quantity for line in trace.consignees if line.tier == 2) == passed_on
    assert (await audit.verify()).ok


async def test_one_bad_line_among_thousands_stops_the_import():
    made_on = today() - timedelta(days=60)
    batches, pbfs, pharmacies = await make_master_data(1, 2, 3, 10, made_on)
    lines = shipment_csv(batches, pbfs, pharmacies, LINES, made_on + timedelta(days=7)).splitlines()
    cells = lines[4321].split(",")  # line 4322 of the file: the header is line 1
    cells[2] = "UNKNOWN-SHOP"
    lines[4321] = ",".join(cells)

    result = await masterdata.import_shipments(SYSTEM, "\n".join(lines))

    assert result.imported == 0
    assert [(error.line, error.detail.split(":")[0]) for error in result.errors] == [
        (4322, "consignee_code")
    ]
    assert (await masterdata.list_shipments(limit=1))[1] == 0

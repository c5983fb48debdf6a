"""Shipment files imported in the background meet batch status as the API's import does: a
line shipping a held batch from its hold's day on stops the file, named by line and column."""

from __future__ import annotations

import json
from datetime import timedelta

from recall import clock, db, masterdata
from recall.actors import SYSTEM
from recall.clock import today
from recall.masterdata import ImportStatus
from tests.factories import make_consignee, recent_batch

HEADER = "gtin,batch_no,consignee_code,quantity,shipped_on,from_consignee_code"


def day(days_ago: int) -> str:
    return (today() - timedelta(days=days_ago)).isoformat()


async def test_a_held_batch_line_fails_the_stored_import_and_nothing_is_written():
    held, other = await recent_batch(), await recent_batch()
    pbf = await make_consignee()
    await masterdata.hold_batch(SYSTEM, held.id, "Out-of-trend assay")
    text = "\n".join([
        HEADER,
        f"{other.gtin},{other.batch_no},{pbf.code},4,{day(0)},",
        f"{held.gtin},{held.batch_no},{pbf.code},4,{day(0)},",
    ]) + "\n"  # fmt: skip
    stored = await masterdata.start_shipment_import(SYSTEM, "held.csv", text.encode())
    finished = await masterdata.run_shipment_import(SYSTEM, stored.id)
    assert finished.status == ImportStatus.FAILED
    assert finished.imported == 0 and finished.error_count == 1
    (error,), _kept = await masterdata.import_errors(stored.id)
    assert (error.line, error.column) == (3, "batch_no")
    assert held.batch_no in error.problem and "on hold" in error.problem
    assert (await masterdata.list_shipments())[1] == 0


async def test_a_stored_import_of_late_records_of_a_recalled_batch_queues_them_once():
    batch = await recent_batch()
    pbf = await make_consignee()
    async with db.transaction():
        await masterdata.recall_batches(SYSTEM, [batch.id], clock.now(), "RCL-T")
    text = f"{HEADER}\n{batch.gtin},{batch.batch_no},{pbf.code},4,{day(2)},\n"
    stored = await masterdata.start_shipment_import(SYSTEM, "late.csv", text.encode())
    finished = await masterdata.run_shipment_import(SYSTEM, stored.id)
    assert finished.status == ImportStatus.DONE and finished.imported == 1
    shipments, _total = await masterdata.list_shipments(batch.id)
    rows = await db.fetch(
        "SELECT payload FROM outbox WHERE job = {}", masterdata.LATE_SHIPMENTS_JOB
    )
    assert [json.loads(row["payload"]) for row in rows] == [{"shipment_ids": [shipments[0].id]}]
    assert (await masterdata.get_batch(batch.id)).status == "recalled"

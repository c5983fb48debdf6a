"""A shipments file uploaded on the page is imported by the worker when one is running: the
upload answers at once, the page shows it waiting, the worker imports it as the uploader."""

from __future__ import annotations

from recall import audit, db, masterdata
from tests.factories import make_batch, make_consignee
from tests.pages.helpers import EN, signed_in_as
from tests.pages.test_masterdata import HEADER, upload
from tests.workers.delivery_setup import FakeSender
from tests.workers.test_delivery_jobs import registered, run_worker
from tests.workers.test_export_jobs import worker_alive

__all__ = ["worker_alive"]


def test_the_worker_imports_shipment_files():
    assert registered(masterdata.IMPORT_JOB).name == "import_shipment_file"


async def test_an_uploaded_file_is_imported_by_the_worker(client, queue, worker_alive):
    batch = await make_batch(batch_no="SYR2401")
    await make_consignee("PBF-JKT-01")
    uploader = await signed_in_as(client, "qa")
    text = "\n".join(
        [HEADER] + [f"{batch.gtin},SYR2401,PBF-JKT-01,{n},2026-02-03," for n in range(1, 4)]
    )

    answer = await upload(client, text)
    assert answer.status_code == 303
    waiting = await client.get(answer.headers["location"], headers=EN)
    assert "Waiting to start" in waiting.text
    assert (await masterdata.list_shipments(batch.id))[1] == 0

    await run_worker(queue, FakeSender())
    done = await client.get(answer.headers["location"], headers=EN)
    assert "Imported 3 shipments." in done.text
    assert (await masterdata.list_shipments(batch.id))[1] == 3
    entries = await db.fetch(
        "SELECT actor_id FROM audit_entry WHERE entity = 'shipment_import' AND action = 'imported'"
    )
    assert [row["actor_id"] for row in entries] == [uploader.id]
    assert (await audit.verify()).ok

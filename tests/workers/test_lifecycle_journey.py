"""A running recall lives on: BPOM's list grows by a second material lot (a signed scope
amendment), a distribution record arrives late, a held batch is refused in a shipments file,
and a destruction is witnessed by Balai POM with its signed berita acara attached. Every step
goes through the API and the worker, and the recall report and BPOM's final report show it all.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

from arq.connections import ArqRedis
from fpdf import FPDF
from pypdf import PdfReader

from recall import db
from recall.clock import today
from tests.api.helpers import HEADER, post_csv
from tests.factories import (
    PASSWORD,
    add_material,
    approved_recall,
    headers_for,
    headers_of,
    make_consignee,
    make_material_lot,
    make_user,
    recent_batch,
    ship,
)
from tests.workers.delivery_setup import FakeSender
from tests.workers.test_delivery_jobs import run_worker
from workers.jobs import relay_outbox

WITNESS = {"name": "Dra. Ratna Dewi, Apt.", "agency": "Balai Besar POM di Bandung"}
DOCUMENT_NO = "BA-031/QA/XII/2026"


def signed_scan() -> bytes:
    """A one-page PDF standing in for the scanned, signed berita acara."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, f"Berita Acara Pemusnahan {DOCUMENT_NO}")
    return bytes(pdf.output())


async def worker_runs(queue: ArqRedis, sender: FakeSender) -> None:
    await relay_outbox({"redis": queue})
    await run_worker(queue, sender)


async def notices_by_code(client, recall_id: int, qa: dict[str, str]) -> dict[str, dict]:
    response = await client.get(
        f"/api/recalls/{recall_id}/notices", params={"limit": 100}, headers=qa
    )
    assert response.status_code == 200, response.text
    return {item["consignee_code"]: item for item in response.json()["items"]}


async def report_text(client, path: str, **query: str) -> str:
    response = await client.get(path, params=query, headers=await headers_for("qa_manager"))
    assert response.status_code == 200, response.text
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


async def test_a_running_recall_amended_late_shipped_held_and_destroyed(client, queue):
    qa = await headers_for("qa")
    sender = FakeSender()
    first_lot = await make_material_lot(lot_no="PG-2026-0412")
    second_lot = await make_material_lot(lot_no="PG-2026-0519")
    syrup = await recent_batch(name="Sirup Parasetamol 120 mg/5 mL")
    forte = await recent_batch(name="Sirup Parasetamol Forte 250 mg/5 mL")
    tablets = await recent_batch(name="Tablet Amoksisilin 500 mg")
    await add_material(syrup.id, first_lot.id)
    await add_material(forte.id, second_lot.id)
    pbf_a, pbf_b = await make_consignee("PBF-A"), await make_consignee("PBF-B")
    await make_consignee("APT-L", kind="pharmacy", province="Jawa Barat")
    await ship(syrup, pbf_a, 1000)
    await ship(forte, pbf_a, 300)
    await ship(forte, pbf_b, 200)

    recall = await approved_recall(client, material_lot_id=first_lot.id, depth="retail")
    recall_id = recall["id"]
    await worker_runs(queue, sender)
    assert set(await notices_by_code(client, recall_id, qa)) == {"PBF-A"}

    # A held batch cannot leave: the shipments file is refused whole, line and column named.
    held = await client.post(
        f"/api/batches/{tablets.id}/hold", json={"reason": "OOS dissolution, lab retest"},
        headers=qa,
    )  # fmt: skip
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "on_hold"
    shipments_before = await db.fetch("SELECT COUNT(*) AS n FROM shipment")
    lines = [
        HEADER,
        f"{syrup.gtin},{syrup.batch_no},PBF-B,5,{(today() - timedelta(days=30)).isoformat()},",
        f"{tablets.gtin},{tablets.batch_no},PBF-B,50,{today().isoformat()},",
    ]
    refused = await post_csv(client, "\n".join(lines), qa)
    assert refused.status_code in (409, 422), refused.text
    [error] = refused.json()["errors"]
    assert error["line"] == 3 and error["detail"].startswith("batch_no: ")
    assert refused.json()["imported"] == 0
    assert await db.fetch("SELECT COUNT(*) AS n FROM shipment") == shipments_before

    # A distribution record made before the recall, entered after it, reaches its pharmacy.
    late = await client.post(
        "/api/shipments",
        json={
            "gtin": syrup.gtin,
            "batch_no": syrup.batch_no,
            "consignee_code": "APT-L",
            "quantity": 60,
            "shipped_on": (today() - timedelta(days=12)).isoformat(),
            "from_consignee_code": "PBF-A",
        },
        headers=qa,
    )
    assert late.status_code == 201, late.text
    await worker_runs(queue, sender)
    reached = await notices_by_code(client, recall_id, qa)
    assert set(reached) == {"PBF-A", "APT-L"}
    assert any(mail["To"] == "apt-l@example.com" for mail in sender.mails)

    # BPOM names a second solvent lot: QA amends, another QA manager signs.
    proposed = await client.post(
        f"/api/recalls/{recall_id}/amendments",
        json={"material_lot_id": second_lot.id, "reason": "BPOM: PG lot PG-2026-0519 too"},
        headers=qa,
    )
    assert proposed.status_code == 201, proposed.text
    amendment = proposed.json()
    assert [b["batch_no"] for b in amendment["batches_added"]] == [forte.batch_no]
    assert amendment["consignees_added"] == 1  # PBF-B; PBF-A is reached already
    signer = await make_user("qa_manager")
    signed = await client.post(
        f"/api/recalls/{recall_id}/amendments/{amendment['id']}/approve",
        json={"password": PASSWORD, "meaning": "Scope extended"},
        headers=await headers_of(signer),
    )
    assert signed.status_code == 200, signed.text
    await worker_runs(queue, sender)
    reached = await notices_by_code(client, recall_id, qa)
    assert set(reached) == {"PBF-A", "APT-L", "PBF-B"}
    updates = await db.fetch(
        "SELECT c.code AS code, d.status AS status FROM delivery d "
        "JOIN notice n ON n.id = d.notice JOIN consignee c ON c.id = n.consignee "
        "WHERE d.message = 'update'"
    )
    assert [(row["code"], row["status"]) for row in updates] == [("PBF-A", "delivered")]
    recalled = await client.get(f"/api/batches/{forte.id}", headers=qa)
    assert recalled.json()["status"] == "recalled"
    found = await client.get(f"/api/recalls/{recall_id}/reconciliation", headers=qa)
    # What left the plant; APT-L's 60 came from PBF-A's 1000.
    assert found.json()["totals"]["quantity_distributed"] == 1000 + 300 + 200

    # PBF-A destroys stock on site before Balai POM; the signed berita acara is attached.
    destroyed = await client.post(
        f"/api/recalls/{recall_id}/destructions",
        json={
            "consignee_code": "PBF-A",
            "batch_no": syrup.batch_no,
            "quantity": 400,
            "method": "Insinerasi",
            "place": "PT Wastec Internasional, Cileungsi",
            "destroyed_on": today().isoformat(),
            "document_no": DOCUMENT_NO,
            "executor": "PT Wastec Internasional",
            "witnesses": [WITNESS],
        },
        headers=qa,
    )
    assert destroyed.status_code == 201, destroyed.text
    scan = signed_scan()
    attached = await client.post(
        "/api/attachments",
        data={"entity": "destruction", "entity_id": str(destroyed.json()["id"])},
        files={"file": ("berita-acara-031.pdf", scan, "application/octet-stream")},
        headers=qa,
    )
    assert attached.status_code == 201, attached.text
    assert attached.json()["content_type"] == "application/pdf"
    assert attached.json()["sha256"] == hashlib.sha256(scan).hexdigest()

    report = await report_text(client, f"/api/recalls/{recall_id}/report.pdf")
    final = await report_text(
        client, f"/api/recalls/{recall_id}/authority-report.pdf", kind="final", lang="id"
    )
    squeezed_report, squeezed_final = report.replace(" ", ""), final.replace(" ", "")
    for text, squeezed in ((report, squeezed_report), (final, squeezed_final)):
        assert forte.batch_no in text  # the amendment's batch
        assert "BPOM:PGlotPG-2026-0519too" in squeezed  # and its reason
        assert DOCUMENT_NO in text and "BalaiBesarPOMdiBandung" in squeezed
        assert "berita-acara-031.pdf" in squeezed
        assert attached.json()["sha256"] in squeezed
    assert "Scope amendments (1)" in report and "Perubahan Cakupan Penarikan" in final
    assert "APT-L" in report  # the consignee the late record reached

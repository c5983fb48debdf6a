"""The recall report as PDF: searchable text with the recall, signatures, consignees,
reconciliation and timeline; interim while in progress, final once closed, marked for drills."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from pypdf import PdfReader

from recall import auth, masterdata
from recall.actors import SYSTEM
from recall.clock import today
from recall.settings import get_settings
from tests.factories import (
    PASSWORD,
    add_material,
    headers_for,
    make_batch,
    make_consignee,
    make_material_lot,
    make_user,
)

REASON = "Diethylene glycol above limit in the solvent lot \u2014 \u201csirup\u201d \u2265 0.1 %"


async def ship(batch, to, quantity, sender=None) -> None:
    await masterdata.record_shipment(
        SYSTEM, batch.gtin, batch.batch_no, to.code, quantity, today() - timedelta(days=10),
        sender.code if sender else None,
    )  # fmt: skip


async def manager_headers(username: str) -> tuple[dict[str, str], str]:
    """Headers of a new QA manager, and the printed name its signatures carry."""
    user = await make_user("qa_manager", username=username)
    token, _ = await auth.login(user.username, PASSWORD, get_settings().secret_key, 60)
    return {"Authorization": f"Bearer {token}"}, user.full_name


async def approved_recall(client, body: dict) -> tuple[dict, str]:
    proposed = await client.post("/api/recalls", json=body, headers=await headers_for("qa"))
    assert proposed.status_code == 201, proposed.text
    headers, signer = await manager_headers("ratna.apoteker")
    approved = await client.post(
        f"/api/recalls/{proposed.json()['id']}/approve",
        json={"password": PASSWORD, "meaning": "Approved for recall to retail level"},
        headers=headers,
    )
    assert approved.status_code == 200, approved.text
    return approved.json(), signer


def proposal(**changes) -> dict:
    return {
        "reason": REASON,
        "recall_class": "I",
        "recall_type": "mandatory",
        "authority_reference": "BPOM-PW.01.2026.123",
        "depth": "retail",
        "profile": "bpom",
        "health_hazard_assessment": "Acute kidney injury possible; serious (\u015eiddetli \u4e2d).",
        **changes,
    }


async def world(client, **changes) -> dict:
    """A batch made with a contaminated solvent lot, shipped to two wholesalers and (through
    the first) a pharmacy; the second wholesaler reports stock and returns."""
    batch = await make_batch(
        manufactured_on=today() - timedelta(days=90), expires_on=today() + timedelta(days=700)
    )
    lot = await make_material_lot(material="Propylene glycol", lot_no="PG-2026-77")
    await add_material(batch.id, lot.id)
    first = await make_consignee("A-PBF", name="PT Sehat Sentosa")
    second = await make_consignee("B-PBF", name="PT Obat Jaya")
    pharmacy = await make_consignee("C-APT", kind="pharmacy", name="Apotek Kimia Sejahtera")
    await ship(batch, first, 600)
    await ship(batch, second, 400)
    await ship(batch, pharmacy, 50, sender=first)
    recall, signer = await approved_recall(client, proposal(material_lot_id=lot.id, **changes))
    headers = await headers_for("distributor", consignee_code=second.code)
    (notice,) = (await client.get("/api/notices", headers=headers)).json()["items"]
    line = {"batch_no": batch.batch_no}
    stock = await client.post(
        f"/api/notices/{notice['id']}/stock",
        json={"lines": [{**line, "quantity_on_hand": 150, "quarantined": 150}]},
        headers=headers,
    )
    assert stock.status_code in (200, 201), stock.text
    returned = await client.post(
        f"/api/notices/{notice['id']}/returns",
        json={"lines": [{**line, "quantity": 250}]},
        headers=headers,
    )
    assert returned.status_code in (200, 201), returned.text
    return {"recall": recall, "signer": signer, "batch": batch}


async def report_text(client, recall_id: int) -> str:
    response = await client.get(
        f"/api/recalls/{recall_id}/report.pdf", headers=await headers_for("inspector")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[ \t]+", " ", text)


async def test_interim_report_shows_the_recall_as_it_stands(client):
    found = await world(client)
    recall = found["recall"]

    text = await report_text(client, recall["id"])

    assert "Interim recall report" in text
    assert recall["reference"] in text
    assert "Recall class I" in text
    assert "mandatory" in text and "BPOM-PW.01.2026.123" in text
    # Non-Latin-1 marks are drawn as plain equivalents rather than failing.
    assert 'Diethylene glycol above limit in the solvent lot - "sirup" >= 0.1 %' in text
    # Letters outside Latin-1 lose their accent, or become "?" when they have no Latin base.
    assert "Acute kidney injury possible; serious (Siddetli ?)." in text
    assert "PG-2026-77" in text and found["batch"].batch_no in text
    assert found["signer"] in text
    assert "Approved for recall to retail level" in text
    assert "UTC" in text and "WIB" in text
    for code in ("A-PBF", "B-PBF", "C-APT"):
        assert code in text
    assert "Apotek Kimia Sejahtera" in text
    # Reconciliation totals: 1,000 left the plant; 150 on hand, 250 returned, 600 unaccounted.
    assert re.search(r"Total 10,000 1,000 150 250 0 600", text), text
    assert "Timeline" in text and "Recall proposed" in text and "Recall approved" in text
    assert "Page 1 of" in text
    assert "DRILL" not in text


async def test_final_report_after_closure_shows_both_signatures(client):
    found = await world(client)
    recall = found["recall"]
    headers, closer = await manager_headers("budi.kepala.qa")
    closed = await client.post(
        f"/api/recalls/{recall['id']}/close",
        json={
            "password": PASSWORD,
            "meaning": "Recall closed: reconciliation reviewed",
            "justification": "Remaining stock confirmed consumed before the recall",
        },
        headers=headers,
    )
    assert closed.status_code == 200, closed.text

    text = await report_text(client, recall["id"])

    assert "Final recall report" in text
    assert "Interim" not in text
    assert found["signer"] in text and closer in text
    assert "Recall closed: reconciliation reviewed" in text
    assert "Remaining stock confirmed consumed" in text
    assert "Recall closed with e-signature" in text


async def test_drill_report_is_marked_with_its_metrics(client):
    found = await world(client, drill=True, recall_type="voluntary", authority_reference=None)

    text = await report_text(client, found["recall"]["id"])

    assert "DRILL / LATIHAN" in text
    assert "Time to trace" in text and "Time to notify" in text


async def test_status_reports_appear_in_the_report(client):
    found = await world(client)
    recall_id = found["recall"]["id"]
    filed = await client.post(
        f"/api/recalls/{recall_id}/status-reports", headers=await headers_for("qa")
    )
    assert filed.status_code == 201, filed.text

    text = await report_text(client, recall_id)

    assert "Status reports filed (1)" in text
    assert "Status report 1 filed" in text


async def test_report_access(client):
    found = await world(client)
    path = f"/api/recalls/{found['recall']['id']}/report.pdf"
    for role in ("qa", "qa_manager", "admin"):
        assert (await client.get(path, headers=await headers_for(role))).status_code == 200
    assert (await client.get(path, headers=await headers_for("cs"))).status_code == 403
    distributor = await headers_for("distributor", consignee_code="B-PBF")
    assert (await client.get(path, headers=distributor)).status_code == 403
    missing = await client.get("/api/recalls/999999/report.pdf", headers=await headers_for("qa"))
    assert missing.status_code == 404


async def test_proposed_recall_report_says_it_is_not_approved(client):
    batch = await make_batch()
    proposed = await client.post(
        "/api/recalls", json=proposal(batch_ids=[batch.id]), headers=await headers_for("qa")
    )
    assert proposed.status_code == 201, proposed.text

    text = await report_text(client, proposed.json()["id"])

    assert "proposed, not approved" in text
    assert "No signature yet" in text
    assert "Consignees (0)" in text

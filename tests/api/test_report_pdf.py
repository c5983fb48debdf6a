"""The recall report as PDF: searchable text with the recall, signatures, consignees,
reconciliation and timeline; interim while in progress, final once closed, marked for drills."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from tests.api.helpers import REASON, manager_headers, report_proposal, reported_recall
from tests.factories import (
    PASSWORD,
    headers_for,
    make_batch,
)


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
    found = await reported_recall(client)
    recall = found["recall"]

    text = await report_text(client, recall["id"])

    assert "Interim recall report" in text
    assert recall["reference"] in text
    assert "Recall class I" in text
    assert "mandatory" in text and "BPOM-PW.01.2026.123" in text
    # Text is drawn as written, typographic marks and letters outside Latin-1 included.
    assert REASON in text
    # A character the font has no glyph for is shown as the replacement character.
    assert "Acute kidney injury possible; serious (\u015eiddetli \ufffd)." in text
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
    found = await reported_recall(client)
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
    found = await reported_recall(
        client, drill=True, recall_type="voluntary", authority_reference=None, ordered_on=None
    )

    text = await report_text(client, found["recall"]["id"])

    assert "DRILL / LATIHAN" in text
    assert "Time to trace" in text and "Time to notify" in text


async def test_status_reports_appear_in_the_report(client):
    found = await reported_recall(client)
    recall_id = found["recall"]["id"]
    filed = await client.post(
        f"/api/recalls/{recall_id}/status-reports", headers=await headers_for("qa")
    )
    assert filed.status_code == 201, filed.text

    text = await report_text(client, recall_id)

    assert "Status reports filed (1)" in text
    assert "Status report 1 filed" in text


async def test_report_access(client):
    found = await reported_recall(client)
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
        "/api/recalls", json=report_proposal(batch_ids=[batch.id]), headers=await headers_for("qa")
    )
    assert proposed.status_code == 201, proposed.text

    text = await report_text(client, proposed.json()["id"])

    assert "proposed, not approved" in text
    assert "No signature yet" in text
    assert "Consignees (0)" in text

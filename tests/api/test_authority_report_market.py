"""An authority report to one market counts that market's consignees only: quantities,
notification and the per-batch lines (a BPOM + FDA recall)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from recall import db
from recall.clock import now
from tests.api.authorities_setup import notify_all, two_markets
from tests.factories import headers_for


async def report_text(client, recall_id: int, **query: str) -> str:
    response = await client.get(
        f"/api/recalls/{recall_id}/authority-report.pdf",
        params={"kind": "progress", **query},
        headers=await headers_for("qa_manager"),
    )
    assert response.status_code == 200, response.text
    pages = PdfReader(io.BytesIO(response.content)).pages
    return "\n".join(re.sub(r"[ \t]+", " ", page.extract_text()) for page in pages)


async def returned(recall_id: int, code: str, quantity: int) -> None:
    """The consignee `code` reports `quantity` units returned (of its one line)."""
    await db.fetch(
        "UPDATE notice_line SET quantity_returned = {} WHERE recall = {} AND notice IN "
        "(SELECT n.id FROM notice n JOIN consignee c ON c.id = n.consignee WHERE c.code = {})",
        quantity,
        recall_id,
        code,
    )


async def delivered_by_email(recall_id: int) -> None:
    await db.fetch(
        "UPDATE delivery SET status = 'delivered' WHERE message = 'notice' AND notice IN "
        "(SELECT id FROM notice WHERE recall = {})",
        recall_id,
    )


async def test_each_report_counts_its_own_markets_quantities(client):
    found = await two_markets(client)
    recall_id = found["recall"]["id"]
    await notify_all(recall_id, now())
    await delivered_by_email(recall_id)
    await returned(recall_id, "US-IMP", 120)  # of 300 shipped to the United States
    await returned(recall_id, "ID-PBF", 500)  # of 1,000 shipped to Surabaya

    fda = await report_text(client, recall_id, profile="fda")
    bpom = await report_text(client, recall_id, profile="bpom")

    # The FDA oversees the importer alone: 300 units out, 120 back, 180 unaccounted.
    assert "Returned 120 units" in fda and "Unaccounted 180 units" in fda
    assert "B000" in fda and re.search(r"B\d+ 300 units 0 units 120 units 0 units 180 units", fda)
    assert re.search(r"Total 300 units 0 units 120 units 0 units 180 units", fda)
    assert "Method of notification e-mail: 1 notice\n" in fda
    assert "1,000" not in fda and "1,300" not in fda and "500 units" not in fda
    # BPOM the Indonesian consignees: 1,000 units left the plant for Surabaya, 500 back.
    assert re.search(r"B\d+ 1\.000 unit 0 unit 500 unit 0 unit 500 unit", bpom)
    assert re.search(r"Jumlah 1\.000 unit 0 unit 500 unit 0 unit 500 unit", bpom)
    assert "1.300" not in bpom and "120 unit" not in bpom and "300 unit" not in bpom
    for text in (fda, bpom):
        assert "whole recall" not in text and "seluruh penarikan" not in text

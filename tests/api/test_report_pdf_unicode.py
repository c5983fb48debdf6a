"""The recall report draws any language's text as written (an embedded Unicode font): Polish,
Vietnamese and Indonesian names, typographic dashes and the signs of storage conditions."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from tests.api.helpers import reported_recall
from tests.factories import headers_for

REASON = "Kadar dietilen glikol melebihi batas \u2013 simpan pada suhu ≤ 5 °C"
HAZARD = "Dilaporkan oleh apotek di Łódź; penanggung jawab Nguyễn Thị Minh"


async def test_report_text_is_extracted_exactly_as_written(client):
    found = await reported_recall(client, reason=REASON, health_hazard_assessment=HAZARD)

    response = await client.get(
        f"/api/recalls/{found['recall']['id']}/report.pdf", headers=await headers_for("qa")
    )

    assert response.status_code == 200, response.text
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = re.sub(r"[ \t]+", " ", "\n".join(page.extract_text() for page in pages))
    assert REASON in text
    assert HAZARD in text
    for written in ("Łódź", "≤ 5 °C", "Nguyễn", "\u2013"):
        assert written in text

"""Destruction records in the reports as BPOM's berita acara pemusnahan lists them: number,
date, place, method, quantity with its unit, executor and witnesses with their agency, in the
recall report and in the BPOM final report (Indonesian and English), long values wrapped
rather than cut off."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

from pypdf import PdfReader

from recall.clock import today
from tests.api.test_authority_report_pdf import english_only_words
from tests.factories import destroy, headers_for, report

WITNESSES = [
    {"name": "Dra. Wulan Sari, Apt.", "agency": "Balai Besar POM di Surabaya"},
    {"name": "Bambang Hartono, S.Farm.", "agency": "Dinas Kesehatan Kota Surabaya"},
]
# As long as a record may be: every value must be in the report in full.
LONG_NUMBER = "BA/" + "0123456789" * 9 + "/QA/26"
LONG_EXECUTOR = ("PT Pengolah Limbah Bahan Berbahaya dan Beracun Nusantara Sejahtera " * 3)[:200]
LONG_WITNESSES = [
    {"name": f"Saksi Nomor {n} dengan Nama Lengkap yang Panjang Sekali", "agency": agency}
    for n, agency in enumerate(
        [
            "Badan Pengawas Obat dan Makanan Republik Indonesia, Direktorat Pengawasan "
            "Distribusi dan Pelayanan Obat, Narkotika, Psikotropika dan Prekursor",
            "Dinas Kesehatan Provinsi Jawa Timur",
            "Dinas Kesehatan Kabupaten Bogor",
            "QA internal",
        ],
        1,
    )
]


async def berita_acara(client, world) -> list[dict]:
    """A destruction at PBF-A with a short berita acara, one at the plant with the longest
    values, and one in the first release's shape (a single witness)."""
    await report(client, world, "PBF-B", returns={"b1": 100})
    bodies: list[dict[str, Any]] = [
        {
            "consignee_code": "PBF-A",
            "document_no": "BA-017/QA/XII/2026",
            "executor": "PT Wastec Internasional",
            "witnesses": WITNESSES,
            "witness": None,
            "method": "Insinerasi",
            "place": "Cileungsi, Bogor",
        },
        {
            "document_no": LONG_NUMBER,
            "executor": LONG_EXECUTOR,
            "witnesses": LONG_WITNESSES,
            "method": "Penghancuran lalu insinerasi",
            "place": "Gudang karantina pabrik",
        },
        {"consignee_code": "PBF-B", "witness": "Siti Rahma", "method": "Insinerasi"},
    ]
    recorded = []
    for quantity, body in zip((120, 60, 1), bodies, strict=True):
        response = await destroy(client, world, quantity, **body)
        assert response.status_code == 201, response.text
        recorded.append(response.json())
    return recorded


async def pdf_text(client, path: str, **query: str) -> str:
    response = await client.get(path, params=query, headers=await headers_for("qa_manager"))
    assert response.status_code == 200, response.text
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    """Without any white space, so a value wrapped over lines is found whole."""
    return re.sub(r"\s+", "", text)


def assert_listed_whole(text: str, values: list[str]) -> None:
    flat = squeezed(text)
    for value in values:
        assert squeezed(value) in flat, value


def long_values() -> list[str]:
    return [
        LONG_NUMBER,
        LONG_EXECUTOR,
        *(f"{w['name']} ({w['agency']})" for w in LONG_WITNESSES),
    ]


async def test_the_bpom_final_report_lists_each_berita_acara_in_indonesian(client, two_tiers):
    await berita_acara(client, two_tiers)
    path = f"/api/recalls/{two_tiers['recall']['id']}/authority-report.pdf"

    text = await pdf_text(client, path, kind="final", lang="id")

    section = re.sub(r"[ \t]+", " ", text.split("Berita Acara Pemusnahan", 1)[1])
    for label in ("Nomor berita acara", "Tanggal", "Tempat", "Cara", "Jumlah", "Pelaksana",
                  "Saksi (instansi)"):  # fmt: skip
        assert label in section, label
    assert "BA-017/QA/XII/2026" in section and "PT Wastec Internasional" in section
    assert "120 unit" in section and "60 unit" in section and "1 unit" in section
    assert "Insinerasi" in section and "Cileungsi, Bogor" in section
    assert "1. Dra. Wulan Sari, Apt. (Balai Besar POM di Surabaya)" in section
    assert "2. Bambang Hartono, S.Farm. (Dinas Kesehatan Kota Surabaya)" in section
    assert "pabrik (stok yang dikembalikan)" in section
    assert "Siti Rahma" in section  # a first-release record's single witness
    day = today()
    assert re.search(rf"\b{day.day} \w+ {day.year}\b", section)
    assert_listed_whole(section, long_values())
    words = set(re.findall(r"[a-z]{3,}", section.lower()))
    assert not words & english_only_words(), words & english_only_words()


async def test_the_bpom_final_report_in_english(client, two_tiers):
    await berita_acara(client, two_tiers)
    path = f"/api/recalls/{two_tiers['recall']['id']}/authority-report.pdf"

    text = re.sub(r"[ \t]+", " ", await pdf_text(client, path, kind="final", lang="en"))

    section = text.split("Destruction records", 1)[1]
    for label in ("Record number", "Date", "Place", "Method", "Quantity", "Carried out by",
                  "Witnesses (agency)"):  # fmt: skip
        assert label in section, label
    assert "120 units" in section and "1 unit" in section
    assert "1. Dra. Wulan Sari, Apt. (Balai Besar POM di Surabaya)" in section
    assert "plant (returned stock)" in section
    assert_listed_whole(section, long_values())


async def test_the_progress_report_lists_no_destruction(client, two_tiers):
    await berita_acara(client, two_tiers)
    path = f"/api/recalls/{two_tiers['recall']['id']}/authority-report.pdf"

    text = await pdf_text(client, path, kind="progress")

    assert "Berita Acara Pemusnahan" not in text and "BA-017/QA/XII/2026" not in text


async def test_the_recall_report_lists_each_berita_acara(client, two_tiers):
    recorded = await berita_acara(client, two_tiers)

    text = await pdf_text(client, f"/api/recalls/{two_tiers['recall']['id']}/report.pdf")

    section = re.sub(r"[ \t]+", " ", text.split("Destruction records (3)", 1)[1])
    section = section.split("Effectiveness checks", 1)[0]
    assert "Record number BA-017/QA/XII/2026" in section
    assert "Carried out by PT Wastec Internasional" in section
    assert "120 units" in section and "60 units" in section
    assert "2. Bambang Hartono, S.Farm. (Dinas Kesehatan Kota Surabaya)" in section
    assert "PBF-A" in section and "plant (returned stock)" in section
    assert section.count("Siti Rahma") == 1
    assert f"GTIN {recorded[0]['gtin']}" in section
    assert_listed_whole(section, long_values())


SIGNED_SCAN = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


async def test_the_signed_scan_is_named_with_its_sha256(client, two_tiers):
    recorded = await berita_acara(client, two_tiers)
    uploaded = await client.post(
        "/api/attachments",
        data={"entity": "destruction", "entity_id": str(recorded[0]["id"])},
        files={"file": ("BA-017 ditandatangani.pdf", SIGNED_SCAN, "application/pdf")},
        headers=await headers_for("qa"),
    )
    assert uploaded.status_code == 201, uploaded.text
    sha256 = hashlib.sha256(SIGNED_SCAN).hexdigest()
    recall_id = two_tiers["recall"]["id"]

    final_id = await pdf_text(
        client, f"/api/recalls/{recall_id}/authority-report.pdf", kind="final"
    )
    final_en = await pdf_text(
        client, f"/api/recalls/{recall_id}/authority-report.pdf", kind="final", lang="en"
    )
    report = await pdf_text(client, f"/api/recalls/{recall_id}/report.pdf")

    for text, label in ((final_id, "Lampiran"), (final_en, "Attached files"),
                        (report, "Attached files")):  # fmt: skip
        assert label in text and "BA-017 ditandatangani.pdf" in text
        assert_listed_whole(text, [f"SHA-256 {sha256}"])
        # Only the record the scan is attached to lists it.
        assert text.count("ditandatangani.pdf") == 1

"""Reports to authorities as PDF: BPOM's initial, progress and final drug recall reports in
Indonesian (or English), addressed to the head of Badan POM and copied to the regional office
of every province the batches reached; an FDA recall status report (21 CFR 7.53(b)); the
choices of kind, language and profile checked, and only quality readers served."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pypdf import PdfReader

from recall.clock import now, today
from recall.recalls._authority_report_text import _LABELS
from recall.regulatory import PROVINCES, regional_office
from recall.settings import get_settings
from tests.api.authorities_setup import two_markets
from tests.api.helpers import manager_headers
from tests.factories import (
    approved_recall,
    headers_for,
    make_batch,
    make_consignee,
    make_product,
    propose,
    ship,
)

REASON = "Kadar dietilen glikol dalam pelarut melebihi batas aman \u2264 0,1 %"


async def bpom_recall(client, provinces: list[str] | None = None, **changes) -> dict:
    """A batch shipped to PBFs in East Java and Jakarta, and by the first to a pharmacy in
    Bali (or to one PBF and one pharmacy in each of `provinces`); approved; the initial report
    sent."""
    product = await make_product(name="Sirup Parasetamol", dosage_form="sirup")
    batch = await make_batch(
        product.gtin,
        manufactured_on=today() - timedelta(days=90),
        expires_on=today() + timedelta(days=700),
        quantity_produced=20_000,
    )
    for number, province in enumerate(provinces or ["Jawa Timur", "DKI Jakarta"]):
        pbf = await make_consignee(f"PBF-{number:02d}", province=province)
        await ship(batch, pbf, 300)
        if provinces is None and number:
            continue
        pharmacy = await make_consignee(
            f"APT-{number:02d}", kind="pharmacy", province="Bali" if provinces is None else province
        )
        await ship(batch, pharmacy, 40, sender=pbf)
    approver, signer = await manager_headers("ratna.apoteker")
    order = {
        "reason": REASON,
        "recall_type": "mandatory",
        "ordered_on": today().isoformat(),
        "authority_reference": "PW.01.05.3.31.12.26.001",
        "health_hazard_assessment": "Dapat menyebabkan gagal ginjal akut; risiko serius.",
    }
    recall = await approved_recall(client, batch, approver=approver, **{**order, **changes})
    sent = await client.post(
        f"/api/recalls/{recall['id']}/submissions",
        json={
            "kind": "initial_report",
            "authority": str(changes.get("profile", "BPOM")),
            "submitted_at": now().isoformat(),
            "channel": "email",
            "reference": "SR-001/QA/2026",
        },
        headers=await headers_for("qa"),
    )
    assert sent.status_code == 201, sent.text
    return {"recall": recall, "batch": batch, "product": product, "signer": signer}


def path_of(recall_id: int) -> str:
    return f"/api/recalls/{recall_id}/authority-report.pdf"


async def pages_of(client, recall_id: int, **query: str) -> list[str]:
    response = await client.get(
        path_of(recall_id), params=query, headers=await headers_for("qa_manager")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/pdf")
    reader = PdfReader(io.BytesIO(response.content))
    return [re.sub(r"[ \t]+", " ", page.extract_text()) for page in reader.pages]


@pytest.fixture
def company(monkeypatch) -> Iterator[None]:
    """An installation that names its firm."""
    monkeypatch.setenv("RECALL_COMPANY_NAME", "PT Farmasi Łódź Nusantara")
    monkeypatch.setenv("RECALL_COMPANY_ADDRESS", "Jl. Raya Bogor Km 28, Jakarta Timur 13710")
    monkeypatch.setenv("RECALL_COMPANY_CITY", "Jakarta")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_initial_report_to_bpom_is_an_indonesian_letter(client, company):
    found = await bpom_recall(client)

    pages = await pages_of(client, found["recall"]["id"], kind="initial")

    text = "\n".join(pages)
    assert "Laporan Awal Penarikan Obat" in text
    assert "Kepada Yth." in text and "Kepala Badan Pengawas Obat dan Makanan" in text
    assert found["product"].nie in text and found["batch"].batch_no in text
    assert "120 mg/5 mL" in text and "sirup" in text
    assert "20.000 unit" in text and "600 unit" in text  # produced; left the plant
    assert REASON in text and "PW.01.05.3.31.12.26.001" in text
    assert "Kelas I" in text and "wajib" in text
    copies = text.split("Tembusan:")[1]
    surabaya, bali = regional_office("Jawa Timur"), regional_office("Bali")
    assert surabaya is not None and bali is not None
    assert surabaya.name.startswith("Balai Besar POM di")
    assert surabaya.name in copies and bali.name in copies
    # Deadlines: the initial report met by the submission, the others listed with their basis.
    assert "Laporan awal" in text and "dipenuhi tepat waktu" in text
    assert "Pemberitahuan kepada penerima" in text and "surat perintah" in text
    assert "SR-001/QA/2026" in text and "surel" in text
    assert "Apoteker Penanggung Jawab" in text and found["signer"] in text
    assert "PT Farmasi Łódź Nusantara" in text and "Jl. Raya Bogor Km 28" in text
    assert re.search(r"Jakarta, \d{1,2} \w+ \d{4}", text)  # where and when it is signed
    assert "Halaman 1 dari" in pages[0]
    for english in ("Initial", "Deadline", "Batch", "units", "Page "):
        assert english not in text


def english_only_words() -> set[str]:
    """Words of the reports' English labels that no Indonesian label uses."""
    english, indonesian = set(), set()
    for words_id, words_en in _LABELS.values():
        indonesian |= set(re.findall(r"[a-z]{3,}", words_id.lower()))
        english |= set(re.findall(r"[a-z]{3,}", words_en.lower()))
    return english - indonesian


async def test_indonesian_pages_carry_no_english_word(client):
    found = await bpom_recall(client)
    recall_id = found["recall"]["id"]
    english = english_only_words()
    assert {"units", "deadline", "batch", "page"} <= english

    for kind in ("initial", "progress", "final"):
        text = "\n".join(await pages_of(client, recall_id, kind=kind))
        assert not set(re.findall(r"[a-z]{3,}", text.lower())) & english, kind


async def test_the_report_in_english_and_the_later_kinds(client):
    found = await bpom_recall(client)
    recall_id = found["recall"]["id"]

    english = "\n".join(await pages_of(client, recall_id, kind="initial", lang="en"))
    progress = "\n".join(await pages_of(client, recall_id, kind="progress"))
    final = "\n".join(await pages_of(client, recall_id, kind="final"))

    assert "Initial Drug Recall Report" in english and "Page 1 of" in english
    assert "Copies to:" in english and "20,000 units" in english
    assert "Laporan Perkembangan Penarikan Obat" in progress
    assert "Pemeriksaan Efektivitas" in progress and "Berita Acara" not in progress
    assert "Laporan Akhir Penarikan Obat" in final and "Berita Acara Pemusnahan" in final


async def test_long_distribution_table_repeats_its_header_on_each_page(client):
    found = await bpom_recall(client, provinces=list(PROVINCES))

    pages = await pages_of(client, found["recall"]["id"], kind="initial")

    table = [page for page in pages if "Balai POM" in page and "Didistribusikan" in page]
    assert len(table) >= 2
    for page in table:
        assert re.search(r"Tingkat Provinsi Balai POM Penerima Didistribusikan", page), page
    text = "\n".join(pages)
    for province in ("Aceh", "Papua Barat Daya", "Jawa Timur"):
        assert province in text


async def test_fda_status_report_has_the_items_of_7_53(client):
    found = await bpom_recall(client, profile="fda", ordered_on=None, recall_type="voluntary")

    pages = await pages_of(client, found["recall"]["id"], kind="progress")

    text = "\n".join(pages)
    assert "Recall Status Report" in text and "21 CFR 7.53(b)" in text
    assert "U.S. Food and Drug Administration" in text
    items = (
        "(1) Consignees notified",
        "(2) Consignees responding",
        "(3) Consignees not responding",
        "(4) Quantity returned or corrected",
        "(5) Effectiveness checks",
        "(6) Estimated time frame for completion",
    )
    for item in items:
        assert item in text
    assert "PBF-00" in text  # a consignee not responding, by identity
    assert "Public warning (21 CFR 7.50)" in text
    assert "Page 1 of" in text


async def test_bad_choices_are_refused_naming_the_parameter(client):
    found = await bpom_recall(client)
    path = path_of(found["recall"]["id"])
    headers = await headers_for("qa")
    for query, field in (
        ({}, "kind"),
        ({"kind": "interim"}, "kind"),
        ({"kind": "initial", "lang": "fr"}, "lang"),
        ({"kind": "initial", "profile": "eu"}, "profile"),
        ({"kind": "initial", "profile": "../bpom"}, "profile"),
        ({"kind": "initial", "profile": "bpom" * 100}, "profile"),
        ({"kind": "initial" * 100}, "kind"),
    ):
        response = await client.get(path, params=query, headers=headers)
        assert response.status_code == 422, (query, response.text)
        assert response.json()["field"] == field


async def test_unknown_proposed_and_forbidden(client):
    found = await bpom_recall(client)
    path = path_of(found["recall"]["id"])
    query = {"kind": "initial"}
    for role in ("qa", "qa_manager", "inspector"):
        answer = await client.get(path, params=query, headers=await headers_for(role))
        assert answer.status_code == 200
    distributor = await headers_for("distributor", consignee_code="PBF-00")
    assert (await client.get(path, params=query, headers=distributor)).status_code == 403
    service = await headers_for("cs")
    assert (await client.get(path, params=query, headers=service)).status_code == 403
    missing = await client.get(path_of(999_999), params=query, headers=await headers_for("qa"))
    assert missing.status_code == 404
    proposed = await propose(client, batch_ids=[found["batch"].id])
    early = await client.get(path_of(proposed["id"]), params=query, headers=await headers_for("qa"))
    assert early.status_code == 409


async def test_a_late_report_says_by_how_many_days(client):
    found = await bpom_recall(client, ordered_on=(today() - timedelta(days=9)).isoformat())

    text = "\n".join(await pages_of(client, found["recall"]["id"], kind="progress", lang="en"))

    # Ordered nine days ago: the initial report (5 days) was sent four days late; the
    # consignees (24 hours) are still not all notified, eight days after it was due.
    assert "met, 4 days late" in text
    assert "not met, 8 days overdue" in text


async def test_each_profile_reports_its_own_market(client):
    found = await two_markets(client)
    recall_id = found["recall"]["id"]

    bpom = "\n".join(await pages_of(client, recall_id, kind="initial"))
    fda = "\n".join(await pages_of(client, recall_id, kind="initial", profile="fda"))

    assert "Laporan Awal Penarikan Obat" in bpom
    assert "Balai Besar POM di Surabaya" in bpom.split("Tembusan:")[1]
    assert "Amerika Serikat" not in bpom and "US-IMP" not in bpom
    assert re.search(r"1 Jumlah 1 1\.000 unit", bpom), bpom  # tier 1: the Surabaya PBF alone
    assert "Initial Recall Status Report" in fda and "U.S. Food and Drug Administration" in fda
    assert "US-IMP" in fda and "United States" in fda  # not responding, by identity
    assert "Surabaya" not in fda

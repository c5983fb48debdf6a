"""The destruction records page: BPOM's berita acara pemusnahan listed (number, executor,
witnesses with their agency), and QA's form to record one with witness rows that need no
script, refusals named by their label in the reader's language, nothing stored when refused."""

from __future__ import annotations

import hashlib
import io
import re

from pypdf import PdfReader

from recall.clock import today
from recall.regulatory import regional_office
from tests.factories import destroy, headers_for
from tests.pages.helpers import EN, csrf_token, post_form, signed_in_as
from tests.reads import recall_read


def path_of(world: dict) -> str:
    return f"/recalls/{world['recall']['id']}/destructions"


def filled(world: dict, **changes: str) -> dict[str, str]:
    """The form as QA fills it in: on site at PBF-A, two witnesses in rows 1 and 3."""
    batch = world["b1"]
    return {
        "batch_no": f"{batch.gtin}/{batch.batch_no}",
        "quantity": "25",
        "destroyed_on": today().isoformat(),
        "consignee_code": "PBF-A",
        "document_no": "BA-021/QA/XII/2026",
        "executor": "PT Wastec Internasional",
        "method": "Insinerasi",
        "place": "Cileungsi, Bogor",
        "witnesses[0].name": "Dra. Wulan Sari, Apt.",
        "witnesses[0].agency": "Balai Besar POM di Surabaya",
        "witnesses[1].name": "",
        "witnesses[1].agency": "",
        "witnesses[2].name": "Bambang Hartono",
        "witnesses[2].agency": "Dinas Kesehatan Kota Surabaya",
        "_rows": "3",
        **changes,
    }


async def test_qa_records_a_berita_acara_and_it_is_listed(client, two_tiers):
    await signed_in_as(client, "qa")
    path = path_of(two_tiers)

    response = await post_form(client, path, filled(two_tiers))

    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{path}#h-records"
    page = await client.get(path, headers=EN)
    assert page.status_code == 200
    shown = ("BA-021/QA/XII/2026", "PT Wastec Internasional", "Insinerasi", "Cileungsi, Bogor",
             "Dra. Wulan Sari, Apt.", "Balai Besar POM di Surabaya", "Bambang Hartono",
             "Dinas Kesehatan Kota Surabaya", "25 units", "PBF-A")  # fmt: skip
    for text in shown:
        assert text in page.text, text
    assert (await recall_read(client, two_tiers["recall"]["id"]))["quantity_destroyed"] == 25


async def test_the_form_offers_three_witness_rows_and_the_usual_agencies(client, two_tiers):
    await signed_in_as(client, "qa")

    page = await client.get(path_of(two_tiers), headers=EN)

    html = page.text
    for row in range(3):
        assert f'name="witnesses[{row}].name"' in html
        assert f'name="witnesses[{row}].agency"' in html and 'list="agencies"' in html
    assert 'name="witnesses[3].name"' not in html
    for field in ("document_no", "executor", "method", "place", "quantity", "destroyed_on"):
        assert f'name="{field}"' in html, field
    assert 'name="_csrf_token"' in html
    agencies = html.split('<datalist id="agencies">', 1)[1].split("</datalist>", 1)[0]
    surabaya = regional_office("Jawa Timur")
    assert surabaya is not None
    for agency in ("BPOM", surabaya.name, "Dinas Kesehatan Provinsi", "Dinas Kesehatan Kota",
                   "Internal QA"):  # fmt: skip
        assert f'<option value="{agency}">' in agencies, agency


async def test_another_witness_row_is_added_without_a_script(client, two_tiers):
    await signed_in_as(client, "qa")
    path = path_of(two_tiers)

    response = await post_form(client, path, {**filled(two_tiers), "_more": "1"})

    assert response.status_code == 200, response.text
    assert 'name="witnesses[3].name"' in response.text
    assert 'value="Bambang Hartono"' in response.text  # what was typed stays
    assert (await recall_read(client, two_tiers["recall"]["id"]))["quantity_destroyed"] == 0


async def refused(client, world, changes: dict[str, str], headers=EN):
    response = await post_form(
        client, path_of(world), filled(world, **changes), page=path_of(world), headers=headers
    )
    assert response.status_code == 422, response.text
    summary = re.search(r'<div class="alert error" role="alert">(.*?)</div>', response.text, re.S)
    assert summary, response.text
    assert (await recall_read(client, world["recall"]["id"]))["quantity_destroyed"] == 0
    return response.text, summary[1]


async def test_a_refused_witness_is_named_by_its_row_on_the_form(client, two_tiers):
    await signed_in_as(client, "qa")

    html, summary = await refused(client, two_tiers, {"witnesses[2].agency": ""})

    # The third row on the form, though the second witness given.
    assert 'href="#f-witnesses-2-agency"' in summary and "Witness 3: agency" in summary
    assert 'id="f-witnesses-2-agency"' in html and 'aria-invalid="true"' in html
    assert 'value="BA-021/QA/XII/2026"' in html


async def test_refusals_are_named_by_their_label(client, two_tiers):
    await signed_in_as(client, "qa")
    cases = [
        ({"document_no": "B" * 101}, "Berita acara number"),
        ({"executor": "PT A\rPT B"}, "Carried out by"),
        ({"method": " "}, "Destruction method"),
        ({"quantity": "0"}, "Quantity destroyed (units)"),
        ({"witnesses[0].name": "", "witnesses[0].agency": "", "witnesses[2].name": "",
          "witnesses[2].agency": ""}, "Witness 1: name"),
    ]  # fmt: skip
    for changes, label in cases:
        _html, summary = await refused(client, two_tiers, changes)
        assert label in summary, (changes, summary)


async def test_the_indonesian_page_names_the_refusal_in_indonesian(client, two_tiers):
    await signed_in_as(client, "qa")

    html, summary = await refused(client, two_tiers, {"witnesses[0].name": " "}, headers={})

    assert "Saksi 1: nama" in summary and "tidak boleh kosong" in summary
    for english in ("Witness", "Record destruction", "Carried out by", "must not"):
        assert english not in html, english
    assert "Nomor berita acara" in html and "Pelaksana" in html and "Catat pemusnahan" in html


async def test_readers_see_the_list_without_the_form_and_cannot_post(client, two_tiers):
    assert (await destroy(client, two_tiers, 5, consignee_code="PBF-A")).status_code == 201
    await signed_in_as(client, "qa")
    token = csrf_token((await client.get(path_of(two_tiers), headers=EN)).text)
    await signed_in_as(client, "inspector")

    page = await client.get(path_of(two_tiers), headers=EN)

    assert page.status_code == 200
    assert "Siti Rahma (QA)" in page.text  # a first-release record's single witness
    assert 'id="h-record"' not in page.text and 'name="witnesses[0].name"' not in page.text
    sent = await client.post(path_of(two_tiers), data={**filled(two_tiers), "_csrf_token": token})
    assert sent.status_code == 403
    assert (await recall_read(client, two_tiers["recall"]["id"]))["quantity_destroyed"] == 5


async def test_the_dashboard_links_to_the_destruction_records(client, two_tiers):
    await signed_in_as(client, "qa_manager")

    page = await client.get(f"/recalls/{two_tiers['recall']['id']}", headers=EN)

    assert f'href="{path_of(two_tiers)}"' in page.text


async def test_the_reports_on_the_pages_name_the_signed_scan(client, two_tiers):
    recorded = await destroy(client, two_tiers, 5, consignee_code="PBF-A", document_no="BA-9")
    scan = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    uploaded = await client.post(
        "/api/attachments",
        data={"entity": "destruction", "entity_id": str(recorded.json()["id"])},
        files={"file": ("BA-9 bertanda tangan.pdf", scan, "application/pdf")},
        headers=await headers_for("qa"),
    )
    assert uploaded.status_code == 201, uploaded.text
    await signed_in_as(client, "inspector")
    recall_id = two_tiers["recall"]["id"]

    for path in (f"/recalls/{recall_id}/report.pdf",
                 f"/recalls/{recall_id}/authority-report.pdf?kind=final"):  # fmt: skip
        response = await client.get(path)
        assert response.status_code == 200, response.text
        text = "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        )
        assert "BA-9 bertanda tangan.pdf" in text, path
        assert hashlib.sha256(scan).hexdigest()[:40] in re.sub(r"\s+", "", text), path

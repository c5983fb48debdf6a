"""Complaint pages: logging from a scan, the complaint file, triage, the register and exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from recall import db
from tests.factories import headers_for, make_batch, make_complaint, make_product, make_user
from tests.pages.helpers import EN, csrf_token, post_form, sign_in, signed_in_as

REFERENCE = re.compile(r"CMP-\d{4}-\d{6}")


def scan_of(batch, serial: str = "SN-000042") -> str:
    expiry = batch.expires_on.strftime("%y%m%d")
    return f"(01){batch.gtin}(17){expiry}(10){batch.batch_no}(21){serial}"


def intake(**changes: str) -> dict[str, str]:
    form = {
        "reporter.name": "Ani Wijaya",
        "reporter.kind": "pharmacist",
        "reporter.organization": "Apotek Sehat Sentosa",
        "reporter.contact": "+62 812 555 0101",
        "channel": "phone",
        "description": "The syrup is cloudy and smells odd.",
        "sample_available": "true",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


async def stored_complaints() -> int:
    (row,) = await db.fetch("SELECT COUNT(*) AS n FROM complaint")
    return int(row["n"])


# Logging a complaint --------------------------------------------------------------------


async def test_the_intake_form_has_the_desk_fields_in_indonesian(client):
    await signed_in_as(client, "cs")
    response = await client.get("/complaints/new")
    assert response.status_code == 200
    html = response.text
    assert "<h1>Catat keluhan</h1>" in html
    for label in ("Barcode", "Produk", "Bets", "Uraian", "Nama pelapor", "Jenis pelapor"):
        assert re.search(rf"<label for=\"[^\"]+\">{label}( <span|</label>)", html), label
    assert ">Efek samping (KTD)</label>" in html
    assert ">Sampel tersedia</label>" in html
    # Enter in the barcode field presses the first button: reading the scan, never logging.
    buttons = re.findall(r"<button type=\"submit\"[^>]*>([^<]+)</button>", html)
    assert buttons[1:] == ["Baca barcode", "Catat keluhan"]  # the first is Sign out


async def test_the_intake_form_in_english(client):
    await signed_in_as(client, "qa")
    html = (await client.get("/complaints/new", headers=EN)).text
    for label in (
        "Barcode",
        "Product",
        "Batch",
        "Description",
        "Reporter name",
        "Reporter kind",
        "Channel",
    ):
        assert re.search(rf"<label for=\"[^\"]+\">{label}( <span|</label>)", html), label
    assert ">Adverse event</label>" in html and ">Sample available</label>" in html
    assert ">Log complaint</button>" in html and ">Read barcode</button>" in html


async def test_reading_a_scan_fills_product_batch_and_expiry_without_logging(client):
    product = await make_product(name="Amoxicillin Syrup", strength="125 mg/5 mL")
    batch = await make_batch(product.gtin, batch_no="AMX2403")
    await signed_in_as(client, "cs")

    response = await post_form(
        client, "/complaints", {"barcode": scan_of(batch), "_read": "1"}, page="/complaints/new"
    )

    assert response.status_code == 200
    html = response.text
    assert f'<option value="{product.gtin}" selected>' in html
    assert re.search(r'name="batch_no" type="text"\s+value="AMX2403"', html)
    assert "Amoxicillin Syrup 125 mg/5 mL" in html
    assert "31-01-2028" in html  # the expiry, read from the code
    assert "SN-000042" in html and "In our records" in html
    assert re.search(r'name="reporter.name"[^>]*autofocus', html)  # the next thing to type
    assert await stored_complaints() == 0


async def test_enter_without_a_barcode_keeps_the_form_and_logs_nothing(client):
    await signed_in_as(client, "cs")
    response = await post_form(
        client, "/complaints", intake(barcode="", _read="1"), page="/complaints/new"
    )
    assert response.status_code == 200
    assert 'value="Ani Wijaya"' in response.text and "aria-invalid" not in response.text
    assert await stored_complaints() == 0


async def test_a_complaint_logged_from_a_scan_alone_gets_product_batch_and_expiry(client):
    batch = await make_batch(batch_no="PCT2302")
    await signed_in_as(client, "cs")

    response = await post_form(
        client, "/complaints", intake(barcode=scan_of(batch)), page="/complaints/new"
    )

    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/complaints/\d+\?logged=1", location)
    page = await client.get(location, headers=EN)
    assert page.status_code == 200
    reference = REFERENCE.search(page.text)[0]
    assert f"Complaint logged as {reference}." in page.text
    assert "Paracetamol Syrup 120 mg/5 mL" in page.text and "PCT2302" in page.text
    assert "31-01-2028" in page.text and "SN-000042" in page.text
    (row,) = await db.fetch("SELECT gtin, batch, batch_no, expires_on, serial FROM complaint")
    assert (row["gtin"], row["batch"], row["batch_no"]) == (batch.gtin, batch.id, "PCT2302")
    assert str(row["expires_on"]) == "2028-01-31" and row["serial"] == "SN-000042"


async def test_a_complaint_without_a_pack_code_names_product_and_batch_by_hand(client):
    batch = await make_batch(batch_no="HAND01")
    await signed_in_as(client, "qa")
    response = await post_form(
        client,
        "/complaints",
        intake(gtin=batch.gtin, batch_no="HAND01", adverse_event="true"),
        page="/complaints/new",
    )
    assert response.status_code == 303
    page = (await client.get(response.headers["location"], headers=EN)).text
    assert "HAND01" in page and "pharmacovigilance must assess" in page


async def test_a_missing_reporter_name_is_422_with_the_field_marked_and_nothing_stored(client):
    batch = await make_batch()
    await signed_in_as(client, "cs")
    response = await post_form(
        client,
        "/complaints",
        intake(barcode=scan_of(batch), **{"reporter.name": ""}),
        page="/complaints/new",
    )
    assert response.status_code == 422
    html = response.text
    assert "Not saved: please correct the marked field." in html
    assert re.search(r'name="reporter.name"[^>]*aria-invalid="true"', html)
    # What was typed stays, and the scan is still read.
    assert "The syrup is cloudy and smells odd." in html
    assert f'<option value="{batch.gtin}" selected>' in html or "In our records" in html
    assert await stored_complaints() == 0


@pytest.mark.parametrize("scan", ["not a barcode", "(01)12345"])
async def test_an_unreadable_scan_is_422_on_the_barcode_field(client, scan):
    await signed_in_as(client, "cs")
    for extra in ({"_read": "1"}, {}):
        response = await post_form(
            client, "/complaints", intake(barcode=scan, **extra), page="/complaints/new"
        )
        assert response.status_code == 422
        assert re.search(r'name="barcode"[^>]*aria-invalid="true"', response.text)
    assert await stored_complaints() == 0


async def test_a_product_that_contradicts_the_scan_is_refused(client):
    batch = await make_batch()
    other = await make_product(name="Ibuprofen Tablets")
    await signed_in_as(client, "cs")
    response = await post_form(
        client,
        "/complaints",
        intake(barcode=scan_of(batch), gtin=other.gtin),
        page="/complaints/new",
    )
    assert response.status_code == 422
    assert re.search(r'name="gtin"[^>]*aria-invalid="true"', response.text)
    assert await stored_complaints() == 0


async def test_an_unknown_batch_from_a_scan_is_flagged_not_refused(client):
    product = await make_product()
    await signed_in_as(client, "cs")
    scan = f"(01){product.gtin}(17)291231(10)FAKE99"
    read = await post_form(
        client, "/complaints", {"barcode": scan, "_read": "1"}, page="/complaints/new"
    )
    assert "Not in our records" in read.text and "may be counterfeit" in read.text
    logged = await post_form(client, "/complaints", intake(barcode=scan), page="/complaints/new")
    assert logged.status_code == 303
    page = (await client.get(logged.headers["location"], headers=EN)).text
    assert "Batch FAKE99 is not in our records" in page


@pytest.mark.parametrize("role", ["qa_manager", "inspector", "admin"])
async def test_other_roles_may_not_log(client, role):
    await signed_in_as(client, role)
    assert (await client.get("/complaints/new")).status_code == 403
    form = await client.get("/complaints")
    response = await client.post(
        "/complaints", data={**intake(), "_csrf_token": csrf_token(form.text)}
    )
    assert response.status_code == 403
    assert await stored_complaints() == 0


async def test_a_form_without_its_csrf_token_is_refused(client):
    await signed_in_as(client, "cs")
    response = await client.post("/complaints", data=intake())
    assert response.status_code == 403
    assert await stored_complaints() == 0


# The complaint file and QA's triage ---------------------------------------------------


async def logged_complaint(client, batch=None, **changes):
    barcode = {"barcode": scan_of(batch)} if batch else {}
    return await make_complaint(client, await headers_for("cs"), **barcode, **changes)


async def test_customer_service_sees_the_file_but_no_qa_forms(client):
    complaint = await logged_complaint(client, await make_batch())
    await signed_in_as(client, "cs")
    page = await client.get(f"/complaints/{complaint['id']}", headers=EN)
    assert page.status_code == 200
    assert f"<title>{complaint['reference']} · Complaint · Recall</title>" in page.text
    assert "Received" in page.text and "History" in page.text and "Logged" in page.text
    assert "/triage" not in page.text and "/close" not in page.text
    assert f'action="/complaints/{complaint["id"]}/reply"' in page.text  # CS records replies


async def test_customer_service_cannot_triage(client):
    complaint = await logged_complaint(client)
    await signed_in_as(client, "cs")
    response = await post_form(
        client,
        f"/complaints/{complaint['id']}/triage",
        {"category": "quality_defect", "severity": "major", "investigate": "true", "version": "1"},
        page=f"/complaints/{complaint['id']}",
    )
    assert response.status_code == 403
    assert "Not allowed" in response.text
    (row,) = await db.fetch("SELECT status FROM complaint")
    assert row["status"] == "received"


async def test_qa_triages_from_the_complaint_page(client):
    complaint = await logged_complaint(client, await make_batch())
    await signed_in_as(client, "qa")
    page = f"/complaints/{complaint['id']}"
    shown = await client.get(page, headers=EN)
    assert 'name="version" value="1"' in shown.text
    response = await post_form(
        client,
        f"{page}/triage",
        {"category": "quality_defect", "severity": "major", "investigate": "true", "version": "1"},
        page=page,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{page}#triage"
    html = (await client.get(page, headers=EN)).text
    assert "Quality defect" in html and "Major" in html and "Triaged" in html
    assert f'href="/investigations/new?complaint_id={complaint["id"]}"' in html
    assert "Record triage" not in html
    assert "Close complaint" not in html  # to be investigated first


async def test_triage_without_a_reason_for_not_investigating_is_422(client):
    complaint = await logged_complaint(client)
    await signed_in_as(client, "qa")
    page = f"/complaints/{complaint['id']}"
    response = await post_form(
        client,
        f"{page}/triage",
        {"category": "other", "severity": "minor", "investigate": "false", "version": "1"},
        page=page,
    )
    assert response.status_code == 422
    assert re.search(r'name="reason"[^>]*aria-invalid="true"', response.text)
    (row,) = await db.fetch("SELECT status FROM complaint")
    assert row["status"] == "received"


async def test_triage_from_a_stale_page_is_409(client):
    complaint = await logged_complaint(client)
    await signed_in_as(client, "qa")
    page = f"/complaints/{complaint['id']}"
    shown = await client.get(page, headers=EN)
    # Someone else triages meanwhile.
    other = await client.post(
        f"/api/complaints/{complaint['id']}/triage",
        json={
            "category": "packaging",
            "severity": "minor",
            "investigate": False,
            "reason": "Dented box only.",
        },
        headers=await headers_for("qa"),
    )
    assert other.status_code == 200
    response = await client.post(
        f"{page}/triage",
        data={
            "category": "quality_defect",
            "severity": "critical",
            "investigate": "true",
            "version": "1",
            "_csrf_token": csrf_token(shown.text),
        },
        headers=EN,
    )
    assert response.status_code == 409
    assert "changed meanwhile" in response.text
    (row,) = await db.fetch("SELECT category, severity FROM complaint")
    assert (row["category"], row["severity"]) == ("packaging", "minor")


async def test_qa_replies_and_closes_a_complaint_not_investigated(client):
    complaint = await logged_complaint(client)
    await signed_in_as(client, "qa")
    page = f"/complaints/{complaint['id']}"
    triage = {
        "category": "packaging",
        "severity": "minor",
        "investigate": "false",
        "reason": "Outer box dented in transport; contents intact.",
        "version": "1",
    }
    assert (await post_form(client, f"{page}/triage", triage, page=page)).status_code == 303
    reply = {"text": "Told the pharmacist by phone: replacement sent."}
    assert (await post_form(client, f"{page}/reply", reply, page=page)).status_code == 303
    stale = await post_form(
        client, f"{page}/close", {"resolution": "Done", "version": "1"}, page=page
    )
    assert stale.status_code == 409
    closed = await post_form(
        client, f"{page}/close", {"resolution": "Replacement sent.", "version": "2"}, page=page
    )
    assert closed.status_code == 303
    html = (await client.get(page, headers=EN)).text
    assert "Told the pharmacist by phone" in html and "Replacement sent." in html
    assert ">Closed</span>" in html and "Reply recorded" in html
    assert "/reply" not in html  # a closed file takes no more replies


async def test_an_empty_reply_is_422(client):
    complaint = await logged_complaint(client)
    await signed_in_as(client, "cs")
    page = f"/complaints/{complaint['id']}"
    response = await post_form(client, f"{page}/reply", {"text": "  "}, page=page)
    assert response.status_code == 422
    assert re.search(r'name="text"[^>]*aria-invalid="true"', response.text)


async def test_possible_duplicates_link_to_each_other(client):
    batch = await make_batch()
    first = await logged_complaint(client, batch)
    second = await logged_complaint(client, batch)
    await signed_in_as(client, "cs")
    html = (await client.get(f"/complaints/{second['id']}", headers=EN)).text
    assert "Possible duplicates" in html
    assert f'<a href="/complaints/{first["id"]}">{first["reference"]}</a>' in html


async def test_an_unknown_complaint_is_404(client):
    await signed_in_as(client, "cs")
    assert (await client.get("/complaints/999999")).status_code == 404


async def test_a_distributor_cannot_read_complaints(client):
    complaint = await logged_complaint(client)
    from tests.factories import make_consignee

    consignee = await make_consignee()
    user = await make_user("distributor", consignee_code=consignee.code)
    await sign_in(client, user.username)
    assert (await client.get(f"/complaints/{complaint['id']}")).status_code == 403
    assert (await client.get("/complaints")).status_code == 403


# The register ---------------------------------------------------------------------------


async def test_the_register_searches_and_filters(client):
    syrup = await make_batch(batch_no="SYR777")
    tablets = await make_batch(
        (await make_product(name="Ibuprofen Tablets", strength="400 mg")).gtin, batch_no="IBU100"
    )
    cloudy = await logged_complaint(client, syrup, description="Cloudy syrup, sediment.")
    harmed = await logged_complaint(
        client, tablets, description="Rash after two tablets.", adverse_event=True
    )
    await signed_in_as(client, "cs")

    everything = (await client.get("/complaints", headers=EN)).text
    assert cloudy["reference"] in everything and harmed["reference"] in everything
    # Newest first.
    assert everything.index(harmed["reference"]) < everything.index(cloudy["reference"])

    async def found(**query) -> str:
        response = await client.get("/complaints", params=query, headers=EN)
        assert response.status_code == 200, response.text
        return response.text

    for query in ({"q": "sediment"}, {"batch_no": "SYR777"}, {"gtin": syrup.gtin}):
        html = await found(**query)
        assert cloudy["reference"] in html and harmed["reference"] not in html, query
    html = await found(adverse_event="true")
    assert harmed["reference"] in html and cloudy["reference"] not in html
    html = await found(status="triaged")
    assert "No complaint found." in html
    today = datetime.now(UTC).date()
    html = await found(
        received_from=(today - timedelta(days=1)).isoformat(),
        received_to=(today + timedelta(days=1)).isoformat(),
    )
    assert cloudy["reference"] in html and harmed["reference"] in html
    html = await found(received_to=(today - timedelta(days=2)).isoformat())
    assert "No complaint found." in html


async def test_a_bad_filter_is_422_with_the_field_marked(client):
    await signed_in_as(client, "cs")
    response = await client.get("/complaints", params={"received_from": "yesterday"}, headers=EN)
    assert response.status_code == 422
    assert re.search(r'name="received_from"[^>]*aria-invalid="true"', response.text)
    response = await client.get("/complaints", params={"status": "lost"}, headers=EN)
    assert response.status_code == 422


async def test_the_register_pages(client):
    cs = await headers_for("cs")
    for number in range(27):
        await make_complaint(client, cs, description=f"Complaint number {number}")
    await signed_in_as(client, "qa")
    first = (await client.get("/complaints", headers=EN)).text
    assert "1\N{EN DASH}25 of 27" in first and 'href="/complaints?offset=25"' in first
    second = (await client.get("/complaints?offset=25", headers=EN)).text
    assert "26\N{EN DASH}27 of 27" in second and "Complaint number 0" not in second


async def test_the_register_exports_as_csv_and_xlsx_with_the_filter(client):
    batch = await make_batch(batch_no="EXP001")
    wanted = await logged_complaint(client, batch, description='=HYPERLINK("x")')
    await logged_complaint(client, description="Another one")
    await signed_in_as(client, "cs")
    listing = (await client.get("/complaints?batch_no=EXP001", headers=EN)).text
    assert 'href="/complaints/export?batch_no=EXP001&amp;format=csv"' in listing

    response = await client.get("/complaints/export?batch_no=EXP001&format=csv", headers=EN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "complaint-register.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["Reference"] == wanted["reference"]
    assert rows[0]["Batch"] == "EXP001" and rows[0]["Expiry"] == "2028-01-31"
    assert rows[0]["Status"] == "Received" and rows[0]["Reporter kind"] == "Patient or consumer"
    assert rows[0]["Description"].startswith("'=")  # never a formula in a spreadsheet

    response = await client.get("/complaints/export?format=xlsx")  # Indonesian headers
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert table[0][:3] == ["Nomor referensi", "Diterima", "Status"]
    assert len(table) == 3
    assert wanted["reference"] in {row[0] for row in table[1:]}

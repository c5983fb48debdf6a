"""Master data pages: lists, search, forms that refuse bad values, downloads, and the
shipments CSV upload that imports in the background while a page shows its progress."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from recall import masterdata
from recall.actors import SYSTEM
from tests.factories import (
    make_batch,
    make_consignee,
    make_material_lot,
    make_product,
    make_user,
)
from tests.pages.helpers import EN, csrf_token, post_form, sign_in
from web.pages.masterdata_imports import imports_running

REFRESH = '<meta http-equiv="refresh" content="2">'


def marked(html: str, name: str) -> bool:
    """The input `name` is flagged invalid and its error is shown beside it."""
    field = re.search(rf'<(?:input|select)[^>]*name="{re.escape(name)}"[^>]*>', html, re.S)
    return bool(field) and 'aria-invalid="true"' in field[0] and f"f-{name}-error" in html


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# Roles and the overview -----------------------------------------------------------------


async def test_the_overview_links_every_list_and_counts_records(client, qa):
    await make_batch()
    page = await client.get("/masterdata", headers=EN)
    assert page.status_code == 200
    assert "<title>Master data · Recall</title>" in page.text
    for path in ("products", "batches", "material-lots", "consignees", "shipments/import"):
        assert f'href="/masterdata/{path}"' in page.text
    assert '<p class="count">1 <span class="unit">products</span>' in page.text
    assert '<p class="count">1 <span class="unit">batches</span>' in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/masterdata",
        "/masterdata/products",
        "/masterdata/consignees",
        "/masterdata/shipments/import",
    ],
)
async def test_customer_service_may_not_open_master_data(client, path):
    user = await make_user("cs")
    await sign_in(client, user.username)
    page = await client.get(path, headers=EN)
    assert page.status_code == 403
    assert "Not allowed" in page.text


async def test_customer_service_cannot_post_a_product(client):
    user = await make_user("cs")
    await sign_in(client, user.username)
    home = await client.get("/")
    answer = await client.post(
        "/masterdata/products",
        data={"gtin": "08991234567891", "_csrf_token": csrf_token(home.text)},
    )
    assert answer.status_code == 403
    assert (await masterdata.list_products())[1] == 0


async def test_both_languages_render_the_overview(client, qa):
    indonesian = await client.get("/masterdata")
    assert '<html lang="id">' in indonesian.text
    assert "Data induk" in indonesian.text and "Impor pengiriman" in indonesian.text
    english = await client.get("/masterdata", headers=EN)
    assert "Master data" in english.text and "Import shipments" in english.text


# Products -------------------------------------------------------------------------------


async def test_a_product_is_added_and_found_by_search(client, qa):
    answer = await post_form(
        client,
        "/masterdata/products",
        {"gtin": "08991234567891", "nie": "DKL2012345601A1", "name": "Paracetamol Syrup",
         "strength": "120 mg/5 mL", "dosage_form": "syrup"},
    )  # fmt: skip
    assert answer.status_code == 303
    shown = await client.get(answer.headers["location"], headers=EN)
    assert "Product 08991234567891 saved." in shown.text
    assert "Paracetamol Syrup" in shown.text
    await make_product(name="Amoxicillin Capsules")
    found = await client.get("/masterdata/products", params={"q": "amoxi"}, headers=EN)
    assert "Amoxicillin Capsules" in found.text and "Paracetamol Syrup" not in found.text


async def test_a_bad_gtin_is_marked_and_nothing_is_stored(client, qa):
    answer = await post_form(
        client,
        "/masterdata/products",
        {"gtin": "08991234567890", "nie": "DKL2012345601A1", "name": "Syrup",
         "strength": "1 mg", "dosage_form": "syrup"},
    )  # fmt: skip
    assert answer.status_code == 422
    assert marked(answer.text, "gtin")
    assert 'value="Syrup"' in answer.text  # what was typed is kept
    assert (await masterdata.list_products())[1] == 0


async def test_a_duplicate_product_is_refused_with_a_conflict(client, qa):
    product = await make_product()
    answer = await post_form(
        client,
        "/masterdata/products",
        {"gtin": product.gtin, "nie": "DKL2012345601A1", "name": "Again",
         "strength": "1 mg", "dosage_form": "syrup"},
    )  # fmt: skip
    assert answer.status_code == 409
    assert f"a product with GTIN {product.gtin} exists" in answer.text
    assert (await masterdata.list_products())[1] == 1


# Batches and material lots --------------------------------------------------------------


async def test_a_batch_is_added_and_its_page_shows_lots_and_shipments(client, qa):
    product = await make_product(name="Cough Syrup")
    answer = await post_form(
        client,
        "/masterdata/batches",
        {"gtin": product.gtin, "batch_no": "SYR2401", "manufactured_on": "2026-01-10",
         "expires_on": "2028-01-31", "quantity_produced": "5000"},
    )  # fmt: skip
    assert answer.status_code == 303
    batch = (await masterdata.list_batches())[0][0]
    assert answer.headers["location"].startswith(f"/masterdata/batches/{batch.id}")

    lot = await make_material_lot(material="Propylene glycol", lot_no="PG-77")
    added = await post_form(
        client,
        f"/masterdata/batches/{batch.id}/materials",
        {"material_lot_id": str(lot.id), "quantity": "250.5"},
        page=f"/masterdata/batches/{batch.id}",
    )
    assert added.status_code == 303
    pbf = await make_consignee("PBF-JKT-01")
    await masterdata.record_shipment(SYSTEM, product.gtin, "SYR2401", pbf.code, 40, _day())
    page = await client.get(f"/masterdata/batches/{batch.id}", headers=EN)
    words = text_of(page.text)
    assert "Batch SYR2401" in words and "Cough Syrup" in words
    assert "PG-77" in words and "Propylene glycol" in words and "250.5" in words
    assert "Shipments 1" in words and "PBF-JKT-01" in words

    lot_page = await client.get(f"/masterdata/material-lots/{lot.id}", headers=EN)
    assert f'href="/masterdata/batches/{batch.id}">SYR2401' in lot_page.text


def _day():
    from datetime import date

    return date(2026, 2, 3)


async def test_a_batch_expiring_before_it_was_made_is_marked(client, qa):
    product = await make_product()
    answer = await post_form(
        client,
        "/masterdata/batches",
        {"gtin": product.gtin, "batch_no": "B1", "manufactured_on": "2026-01-10",
         "expires_on": "2025-01-31", "quantity_produced": "5000"},
    )  # fmt: skip
    assert answer.status_code == 422
    assert marked(answer.text, "expires_on")
    assert (await masterdata.list_batches())[1] == 0


async def test_a_material_lot_without_supplier_is_marked_and_search_finds_lots(client, qa):
    answer = await post_form(
        client, "/masterdata/material-lots", {"material": "Glycerol", "lot_no": "GL-1"}
    )
    assert answer.status_code == 422
    assert marked(answer.text, "supplier")
    assert (await masterdata.list_material_lots())[1] == 0
    saved = await post_form(
        client,
        "/masterdata/material-lots",
        {"material": "Glycerol", "lot_no": "GL-1", "supplier": "PT Bahan Kimia"},
    )
    assert saved.status_code == 303
    await make_material_lot(material="Sorbitol", lot_no="SB-9")
    found = await client.get("/masterdata/material-lots", params={"q": "glyc"}, headers=EN)
    assert "GL-1" in found.text and "SB-9" not in found.text


async def test_the_batch_list_downloads_as_csv_and_xlsx(client, qa):
    product = await make_product(name="Paracetamol Syrup")
    await make_batch(product.gtin, batch_no="SYR-1", quantity_produced=1200)
    await make_batch(batch_no="OTHER-1")
    answer = await client.get(
        "/masterdata/batches/export", params={"format": "csv", "q": "SYR-1"}, headers=EN
    )
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Batch", "Product"]
    assert rows[1:] == [["SYR-1", "Paracetamol Syrup", product.gtin, "2026-01-15", "2028-01-31",
                         "1200", "Released"]]  # fmt: skip
    sheet = load_workbook(
        io.BytesIO((await client.get("/masterdata/batches/export?format=xlsx")).content)
    ).active
    assert sheet.max_row == 3  # header and both batches


# Consignees -----------------------------------------------------------------------------


async def test_a_consignee_with_a_webhook_shows_its_secret_once(client, qa):
    await make_consignee("PBF-JKT-01", name="PT Distribusi Jakarta")
    answer = await post_form(
        client,
        "/masterdata/consignees",
        {"code": "APT-BDG-17", "name": "Apotek Sehat", "kind": "pharmacy",
         "parent_code": "PBF-JKT-01", "email": "apotek@example.com", "phone": "+62 22 123",
         "webhook_url": "https://apotek.example.com/recall", "province": "Jawa Barat"},
    )  # fmt: skip
    assert answer.status_code == 201
    secret = re.search(r'value="(whsec_[^"]+)"', answer.text)
    assert secret, "the signing secret is shown after creation"
    assert "Copy it now: it is shown only this once." in answer.text
    assert answer.headers["cache-control"] == "no-store"

    consignee = await masterdata.consignee_by_code("APT-BDG-17")
    page = await client.get(f"/masterdata/consignees/{consignee.id}", headers=EN)
    words = text_of(page.text)
    assert "Pharmacy" in words and "PT Distribusi Jakarta (PBF-JKT-01)" in words
    assert "apotek@example.com" in words and "+62 22 123" in words
    assert "https://apotek.example.com/recall" in words and "Shipments received 0" in words
    assert secret[1] not in page.text
    listed = await client.get("/masterdata/consignees", headers=EN)
    assert secret[1] not in listed.text


async def test_a_bad_email_is_marked_and_no_consignee_is_stored(client, qa):
    answer = await post_form(
        client,
        "/masterdata/consignees",
        {"code": "APT-1", "name": "Apotek", "kind": "pharmacy", "email": "not-an-address"},
    )
    assert answer.status_code == 422
    assert marked(answer.text, "email")
    assert 'value="APT-1"' in answer.text
    assert (await masterdata.list_consignees())[1] == 0


async def test_consignees_are_filtered_and_download_as_csv_and_xlsx(client, qa):
    await make_consignee("PBF-JKT-01", name="PT Distribusi Jakarta", province="DKI Jakarta")
    await make_consignee("RS-SBY-02", name="RS Surabaya", kind="hospital", province="Jawa Timur")
    hospitals = await client.get("/masterdata/consignees", params={"kind": "hospital"}, headers=EN)
    assert "RS Surabaya" in hospitals.text and "PT Distribusi Jakarta" not in hospitals.text
    found = await client.get("/masterdata/consignees", params={"q": "jakarta"}, headers=EN)
    assert "PBF-JKT-01" in found.text and "RS-SBY-02" not in found.text

    answer = await client.get("/masterdata/consignees/export?format=csv", headers=EN)
    assert answer.headers["content-disposition"] == 'attachment; filename="consignees.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [(r["Code"], r["Kind"], r["Province"]) for r in rows] == [
        ("PBF-JKT-01", "Wholesaler (PBF)", "DKI Jakarta"),
        ("RS-SBY-02", "Hospital", "Jawa Timur"),
    ]
    xlsx = await client.get("/masterdata/consignees/export?format=xlsx&kind=hospital")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [cell.value for cell in sheet[2]][:2] == ["RS-SBY-02", "RS Surabaya"]
    assert sheet.max_row == 2


# Shipments CSV upload -------------------------------------------------------------------

HEADER = "gtin,batch_no,consignee_code,quantity,shipped_on,from_consignee_code"


@pytest.fixture
async def distribution():
    """A batch, a wholesaler and a pharmacy to ship it to."""
    batch = await make_batch(batch_no="SYR2401")
    await make_consignee("PBF-JKT-01")
    await make_consignee("APT-BDG-17", kind="pharmacy")
    return batch


async def upload(client, text: str, name: str = "shipments.csv", **extra: str):
    form = await client.get("/masterdata/shipments/import")
    return await client.post(
        "/masterdata/shipments/import",
        data={"_csrf_token": csrf_token(form.text), **extra},
        files={"file": (name, text.encode(), "text/csv")},
        headers=EN,
    )


async def finished(client, location: str):
    await imports_running()
    return await client.get(location, headers=EN)


async def test_a_good_file_imports_and_the_page_shows_the_count(client, qa, distribution):
    batch = distribution
    text = "\n".join(
        [HEADER, f"{batch.gtin},SYR2401,PBF-JKT-01,1200,2026-02-03,"]
        + [f"{batch.gtin},SYR2401,APT-BDG-17,{n},2026-02-10,PBF-JKT-01" for n in range(1, 6)]
    )
    answer = await upload(client, text)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert re.fullmatch(r"/masterdata/imports/\d+", location)
    page = await finished(client, location)
    assert "Imported 6 shipments." in page.text
    assert REFRESH not in page.text
    assert (await masterdata.list_shipments(batch.id))[1] == 6


async def test_every_bad_line_is_listed_with_line_and_column_and_nothing_is_stored(
    client, qa, distribution
):
    batch = distribution
    lines = [HEADER, f"{batch.gtin},SYR2401,PBF-JKT-01,1200,2026-02-03,"]
    lines += [f"{batch.gtin},SYR2401,PBF-JKT-01,10,2026-02-03,"] * 3
    lines[2] = f"{batch.gtin},SYR2401,NOBODY,10,2026-02-03,"  # line 3: unknown consignee
    lines[4] = f"{batch.gtin},SYR2401,PBF-JKT-01,ten,2026-13-01,"  # line 5: two bad columns
    lines.append(f"{batch.gtin},NOPE,APT-BDG-17,5,2026-02-04,PBF-JKT-01")  # line 6
    answer = await upload(client, "\n".join(lines))
    page = await finished(client, answer.headers["location"])
    assert "Nothing was imported: 4 problems found." in page.text
    assert REFRESH not in page.text
    table = re.findall(
        r'<td class="n">(\d+)</td>\s*<td class="code">([^<]+)</td>\s*<td>([^<]+)</td>', page.text
    )
    assert [(int(line), column) for line, column, _problem in table] == [
        (3, "consignee_code"),
        (5, "quantity"),
        (5, "shipped_on"),
        (6, "batch_no"),
    ]
    assert "no consignee with code &#39;NOBODY&#39;" in table[0][2]
    assert (await masterdata.list_shipments(batch.id))[1] == 0

    download = await client.get(f"{answer.headers['location']}/errors?format=csv", headers=EN)
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == ["Line", "Column", "Problem"] and len(rows) == 5


async def test_the_page_refreshes_itself_only_while_the_import_runs(client, qa, distribution):
    batch = distribution
    text = f"{HEADER}\n{batch.gtin},SYR2401,PBF-JKT-01,1200,2026-02-03,\n".encode()
    user = (await make_user("qa")).username
    actor = SYSTEM.__class__(id=None, username=user, full_name="Siti", roles=frozenset())
    queued = await masterdata.start_shipment_import(actor, "march.csv", text)
    running = await client.get(f"/masterdata/imports/{queued.id}", headers=EN)
    assert REFRESH in running.text
    assert "<progress" in running.text and "Waiting to start" in running.text
    await masterdata.run_shipment_import(actor, queued.id)
    done = await client.get(f"/masterdata/imports/{queued.id}", headers=EN)
    assert REFRESH not in done.text and "Imported 1 shipments." in done.text


async def test_the_same_file_again_is_refused_until_confirmed_then_warned(client, qa, distribution):
    batch = distribution
    text = f"{HEADER}\n{batch.gtin},SYR2401,PBF-JKT-01,1200,2026-02-03,\n"
    first = await upload(client, text, "feb.csv")
    await finished(client, first.headers["location"])

    again = await upload(client, text, "feb-copy.csv")
    assert again.status_code == 409
    assert "Not imported: this file was imported before." in again.text
    assert qa.full_name in again.text
    assert (await masterdata.list_shipments(batch.id))[1] == 1

    confirmed = await upload(client, text, "feb-copy.csv", again="true")
    assert confirmed.status_code == 303
    page = await finished(client, confirmed.headers["location"])
    assert "This file was already imported on" in page.text and qa.full_name in page.text
    assert (await masterdata.list_shipments(batch.id))[1] == 2


async def test_an_upload_without_a_file_or_with_binary_is_marked(client, qa):
    form = await client.get("/masterdata/shipments/import")
    answer = await client.post(
        "/masterdata/shipments/import",
        data={"_csrf_token": csrf_token(form.text)},
        files={"other": ("x.txt", b"x", "text/plain")},
        headers=EN,
    )
    assert answer.status_code == 422
    assert "choose a CSV file to upload" in answer.text
    binary = await upload(client, "x", name="x.csv")
    assert binary.status_code in (303, 422)
    latin = await client.post(
        "/masterdata/shipments/import",
        data={"_csrf_token": csrf_token(form.text)},
        files={"file": ("x.csv", "gtin,caf\xe9\n".encode("latin-1"), "text/csv")},
        headers=EN,
    )
    assert latin.status_code == 422
    assert "the file is not UTF-8 text" in latin.text
    await imports_running()


async def test_the_upload_takes_a_file_as_large_as_the_api_import(client, qa, monkeypatch):
    from dataclasses import replace

    from recall.masterdata import _imports as imports
    from recall.settings import get_settings
    from web.pages.masterdata_imports import upload as upload_route

    settings = get_settings()
    assert upload_route.request_max_body_size >= settings.max_import_bytes >= 64 * 1024 * 1024

    small = replace(settings, max_import_bytes=100)
    monkeypatch.setattr(imports, "get_settings", lambda: small)
    answer = await upload(client, HEADER + "\n" + "x," * 60)
    assert answer.status_code == 422
    assert marked(answer.text, "file") and "the file is larger than" in answer.text
    assert (await masterdata.list_shipment_imports())[1] == 0


async def test_a_body_over_the_limit_gets_a_page_saying_so(client, qa):
    from recall.settings import get_settings

    too_big = b"x" * (get_settings().max_import_bytes + 128 * 1024)
    form = await client.get("/masterdata/shipments/import")
    answer = await client.post(
        "/masterdata/shipments/import",
        data={"_csrf_token": csrf_token(form.text)},
        files={"file": ("huge.csv", too_big, "text/csv")},
        headers=EN,
    )
    assert answer.status_code == 413
    assert "<h1>File too large</h1>" in answer.text
    assert (await masterdata.list_shipment_imports())[1] == 0

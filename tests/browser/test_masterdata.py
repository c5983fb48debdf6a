"""QA uploads a shipments file of a few thousand lines, watches the import run, sees the
result; then a file with bad lines, and sees every one of them listed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from recall import masterdata
from recall.clock import today
from recall.masterdata import _imports as imports
from tests.browser.steps import sign_in
from tests.factories import make_batch, make_consignee, make_user
from web.pages.masterdata_imports import imports_running

pytestmark = pytest.mark.browser

HEADER = "gtin,batch_no,consignee_code,quantity,shipped_on,from_consignee_code"
PHARMACIES = 40


@pytest.fixture
def watchable(monkeypatch):
    """Report progress often and a little slowly, so a few thousand lines take seconds."""
    monkeypatch.setattr(masterdata._distribution, "PROGRESS_EVERY", 250)
    report = imports._Watched.checked

    async def slowly(self, lines, total):
        await report(self, lines, total)
        await asyncio.sleep(0.4)

    monkeypatch.setattr(imports._Watched, "checked", slowly)


async def distribution_file(lines: int, bad: dict[int, str] | None = None) -> tuple[str, int]:
    """`lines` shipments: the batch to the PBF, then the PBF to pharmacies; `bad` replaces
    lines by number (line 1 is the header). Returns the text and the batch id."""
    shipped = today() - timedelta(days=20)
    batch = await make_batch(
        batch_no=f"SYR{lines}",
        manufactured_on=today() - timedelta(days=60),
        expires_on=today() + timedelta(days=700),
    )
    pbf = f"PBF-{lines}"
    await make_consignee(pbf, name="PT Distribusi Farmasi Jakarta")
    for n in range(PHARMACIES):
        await make_consignee(f"APT-{lines}-{n:02d}", name=f"Apotek {n}", kind="pharmacy")
    rows = [HEADER, f"{batch.gtin},{batch.batch_no},{pbf},{lines * 10},{shipped},"]
    for n in range(lines - 1):
        pharmacy = f"APT-{lines}-{n % PHARMACIES:02d}"
        rows.append(f"{batch.gtin},{batch.batch_no},{pharmacy},{n % 12 + 1},{shipped},{pbf}")
    for number, text in (bad or {}).items():
        rows[number - 1] = text.format(
            gtin=batch.gtin, batch_no=batch.batch_no, pbf=pbf, shipped=shipped
        )
    return "\n".join(rows) + "\n", batch.id


async def sign_in_as_qa(page: Page, live_server: str) -> None:
    await sign_in(page, live_server, (await make_user("qa")).username)


async def upload(page: Page, name: str, text: str) -> None:
    await page.get_by_role("link", name="Master data", exact=True).first.click()
    await page.get_by_role("link", name="Import shipments").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Import shipments")
    await page.get_by_label("Shipments file (CSV)").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
    )
    await page.get_by_role("button", name="Upload and import").click()


async def test_qa_watches_a_large_import_and_then_sees_bad_lines(
    live_server, desktop, screenshot, watchable
):
    page = desktop
    await sign_in_as_qa(page, live_server)
    text, batch_id = await distribution_file(3000)
    await upload(page, "march.csv", text)
    await expect(page.get_by_role("heading", level=1)).to_contain_text("march.csv")
    await expect(page.get_by_text("This page refreshes itself")).to_be_visible()
    await expect(page.get_by_label("Lines checked")).to_be_visible()
    await expect(page.get_by_text("Lines checked:")).to_contain_text("of 3,001")
    # After a refresh or two the bar has moved on.
    await expect(page.get_by_text("Lines checked:")).not_to_contain_text(
        "checked: 0 of", timeout=10_000
    )
    await screenshot(page, "import-running")
    # The page reloads itself every two seconds until the import ends.
    await expect(page.get_by_role("status")).to_contain_text(
        "Imported 3,000 shipments.", timeout=30_000
    )
    await expect(page.get_by_text("This page refreshes itself")).to_have_count(0)
    await screenshot(page, "import-done")
    assert (await masterdata.list_shipments(batch_id))[1] == 3000
    await page.get_by_role("link", name="Master data", exact=True).first.click()
    await expect(page.get_by_role("table", name="Recent shipment imports")).to_contain_text(
        "march.csv"
    )
    await screenshot(page, "overview")
    await page.get_by_role("link", name="Batches").first.click()
    await screenshot(page, "batches")
    await page.get_by_role("link", name="SYR3000").click()
    await expect(page.get_by_text("3,000 shipments, newest first")).to_be_visible()
    await screenshot(page, "batch")

    bad = {
        7: "{gtin},{batch_no},APT-NOBODY,3,{shipped},{pbf}",
        1200: "{gtin},{batch_no},APT-2000-01,many,2026-02-30,{pbf}",
        1999: "{gtin},NOPE,APT-2000-02,1,{shipped},{pbf}",
    }
    text, batch_id = await distribution_file(2000, bad)
    await upload(page, "april.csv", text)
    await expect(page.get_by_role("alert")).to_contain_text(
        "Nothing was imported: 4 problems found.", timeout=30_000
    )
    table = page.get_by_role("table", name="Bad lines")
    rows = table.get_by_role("row")
    await expect(rows).to_have_count(5)  # the heading row and the four problems
    expected = [
        ("7", "consignee_code"),
        ("1200", "quantity"),
        ("1200", "shipped_on"),
        ("1999", "batch_no"),
    ]
    for index, (line, column) in enumerate(expected, start=1):
        await expect(rows.nth(index).get_by_role("cell").nth(0)).to_have_text(line)
        await expect(rows.nth(index).get_by_role("cell").nth(1)).to_have_text(column)
    await screenshot(page, "import-bad-lines")
    assert (await masterdata.list_shipments(batch_id))[1] == 0

    await page.get_by_role("link", name="Bahasa Indonesia").click()
    await page.get_by_role("link", name="Impor pengiriman").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Impor pengiriman")
    await expect(page.get_by_role("table", name="Impor pengiriman terbaru")).to_contain_text(
        "Tidak diimpor"
    )
    await screenshot(page, "import-form-indonesian")
    await imports_running()


async def test_qa_adds_a_consignee_and_copies_its_signing_secret(live_server, desktop, screenshot):
    page = desktop
    await make_consignee("PBF-JKT-01", name="PT Distribusi Farmasi Jakarta")
    await sign_in_as_qa(page, live_server)
    await page.goto(f"{live_server}/masterdata/consignees")
    await page.get_by_role("link", name="Add a consignee").click()
    form = page.get_by_role("form", name="Add a consignee")
    await form.get_by_role("textbox", name="Code", exact=True).fill("APT-BDG-17")
    await form.get_by_role("textbox", name="Name", exact=True).fill("Apotek Sehat Sentosa")
    await form.get_by_role("combobox", name="Kind").select_option("pharmacy")
    await form.get_by_label("Supplied by (code)").fill("PBF-JKT-01")
    await form.get_by_label("E-mail").fill("not an address")
    await form.get_by_label("Webhook URL").fill("https://apotek-sehat.example.com/recall")
    await page.get_by_role("button", name="Save consignee").click()
    await expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    await page.get_by_label("E-mail").scroll_into_view_if_needed()
    await screenshot(page, "consignee-refused")

    await page.get_by_label("E-mail").fill("recall@apotek-sehat.example.com")
    await page.get_by_role("button", name="Save consignee").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Consignee added")
    secret = await page.get_by_role("textbox", name="Signing secret").input_value()
    assert secret.startswith("whsec_")
    await expect(page.get_by_text("Copy it now: it is shown only this once.")).to_be_visible()
    await screenshot(page, "consignee-secret")

    await page.get_by_role("link", name="Open the consignee").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Apotek Sehat Sentosa")
    assert secret not in await page.content()
    await screenshot(page, "consignee")
    await page.goto(f"{live_server}/masterdata/consignees")
    await screenshot(page, "consignees")


async def test_qa_adds_a_product_a_batch_and_the_material_lot_in_it(
    live_server, desktop, screenshot
):
    page = desktop
    await sign_in_as_qa(page, live_server)
    await page.goto(f"{live_server}/masterdata/products")
    form = page.get_by_role("form", name="Add a product")
    await form.get_by_role("textbox", name="Name", exact=True).fill("Paracetamol Syrup")
    await form.get_by_label("Strength").fill("120 mg/5 mL")
    await form.get_by_label("Dosage form").fill("syrup")
    await form.get_by_label("GTIN").fill("08991234567890")  # wrong check digit
    await form.get_by_label("NIE (BPOM registration)").fill("DKL2012345601A1")
    await form.get_by_role("button", name="Save product").click()
    await expect(page.get_by_label("GTIN")).to_have_attribute("aria-invalid", "true")
    await screenshot(page, "product-refused")
    await page.get_by_label("GTIN").fill("08991234567891")
    await page.get_by_role("button", name="Save product").click()
    await expect(page.get_by_role("status")).to_contain_text("Product 08991234567891 saved.")
    await screenshot(page, "products")

    await page.goto(f"{live_server}/masterdata/material-lots")
    await page.get_by_role("textbox", name="Material", exact=True).fill("Propylene glycol")
    await page.get_by_label("Lot number").fill("PG-2207")
    await page.get_by_label("Supplier").fill("PT Kimia Bahan Nusantara")
    await page.get_by_role("button", name="Save material lot").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Material lot PG-2207")

    await page.goto(f"{live_server}/masterdata/batches")
    form = page.get_by_role("form", name="Add a batch")
    await form.get_by_label("Product GTIN").fill("08991234567891")
    await form.get_by_label("Batch number").fill("SYR2401")
    await form.get_by_label("Manufactured on").fill("2026-01-10")
    await form.get_by_label("Expires on").fill("2028-01-31")
    await form.get_by_label("Quantity produced").fill("12000")
    await form.get_by_role("button", name="Save batch").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Batch SYR2401")
    await page.get_by_role("combobox", name="Material lot").select_option(
        label="PG-2207 — Propylene glycol (PT Kimia Bahan Nusantara)"
    )
    await page.get_by_label("Quantity used").fill("250.5")
    await page.get_by_role("button", name="Record material lot").click()
    await expect(page.get_by_role("table", name="Material lots used")).to_contain_text("PG-2207")
    await screenshot(page, "batch-with-lot")

    await page.get_by_role("link", name="PG-2207").click()
    await expect(page.get_by_role("table", name="Batches made with this lot")).to_contain_text(
        "SYR2401"
    )
    await screenshot(page, "material-lot")

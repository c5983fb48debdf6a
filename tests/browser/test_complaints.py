"""Customer service logs a complaint from a scan; QA triages it; trends show it."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.browser.steps import fits_the_screen, sign_in
from tests.factories import headers_for, make_batch, make_complaint, make_product, make_user

pytestmark = pytest.mark.browser


async def test_customer_service_logs_a_scan_and_qa_triages_it(
    client, live_server, desktop, screenshot
):
    product = await make_product(name="Paracetamol Sirup", strength="120 mg/5 mL")
    batch = await make_batch(product.gtin, batch_no="SYR2401")
    # An earlier complaint on the same batch: the new one shows it as a possible duplicate.
    earlier = await make_complaint(
        client, await headers_for("cs"), barcode=f"(01){batch.gtin}(10)SYR2401"
    )
    cs = await make_user("cs", username="rina.cs")
    qa = await make_user("qa", username="dewi.qa")
    scan = f"(01){batch.gtin}(17)280131(10)SYR2401(21)SN8842"
    page = desktop

    # Customer service, in Indonesian (the default), at the desk with a hand scanner.
    await sign_in(page, live_server, cs.username, "id")
    await page.get_by_role("link", name="Catat keluhan").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Catat keluhan")
    await expect(page.get_by_label("Barcode")).to_be_focused()
    # The scanner types the code and ends with Enter.
    await page.keyboard.type(scan)
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("status")).to_contain_text("Paracetamol Sirup 120 mg/5 mL")
    await expect(page.get_by_label("Produk")).to_have_value(batch.gtin)
    await expect(page.get_by_label("Bets", exact=True)).to_have_value("SYR2401")
    await expect(page.get_by_role("status")).to_contain_text("31-01-2028")
    await expect(page.get_by_role("status")).to_contain_text("Ada dalam catatan kami")
    await expect(page.get_by_label("Nama pelapor")).to_be_focused()

    await page.get_by_label("Nama pelapor").fill("apt. Ani Wijaya")
    await page.get_by_label("Jenis pelapor").select_option(label="Apoteker")
    await page.get_by_label("Organisasi").fill("Apotek Sehat Sentosa, Bandung")
    await page.get_by_label("Kontak").fill("+62 812 555 0101")
    await page.get_by_label("Saluran").select_option(label="Telepon")
    await page.get_by_label("Uraian").fill(
        "Sirup tampak keruh dan ada endapan putih di dasar botol; dibuka kemarin."
    )
    await page.get_by_label("Sampel tersedia").check()
    await screenshot(page, "intake-after-scan")
    await page.get_by_role("button", name="Catat keluhan").click()

    heading = page.get_by_role("heading", level=1)
    await expect(heading).to_contain_text(re.compile(r"CMP-\d{4}-\d{6}"))
    reference = re.search(r"CMP-\d{4}-\d{6}", await heading.inner_text())[0]
    await expect(page.get_by_text(f"Keluhan tercatat dengan nomor {reference}.")).to_be_visible()
    await expect(page.get_by_text("SN8842", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name=earlier["reference"])).to_be_visible()
    await expect(page.get_by_role("button", name="Catat triase")).to_have_count(0)
    await screenshot(page, "complaint-logged")
    await page.locator("form[action='/logout'] button").click()

    # QA, in English, triages it from the register.
    await sign_in(page, live_server, qa.username, "en")
    await (
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Complaints")
    ).click()
    await page.get_by_label("Search").fill("endapan")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_role("link", name=earlier["reference"])).to_have_count(0)
    await screenshot(page, "register-search")
    await page.get_by_role("link", name=reference).click()

    await page.get_by_label("Category").select_option(label="Quality defect")
    await page.get_by_label("Severity").select_option(label="Major")
    await page.get_by_label("Yes, investigate").check()
    await screenshot(page, "triage-form")
    await page.get_by_role("button", name="Record triage").click()

    await expect(page.get_by_role("heading", level=1)).to_contain_text("Triaged")
    triage = page.get_by_role("region", name="Triage")
    await expect(triage).to_contain_text("Quality defect")
    await expect(triage).to_contain_text("Major")
    await expect(page.get_by_role("link", name="Open an investigation")).to_be_visible()
    await expect(page.get_by_role("region", name="History")).to_contain_text("Triaged")
    await screenshot(page, "triaged")

    await page.get_by_role("link", name="Trends").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Complaint trends")
    for chart in ("months", "categories", "products"):
        image = page.locator(f"img[src^='/trends/{chart}.svg']")
        # decode() waits for the image and fails when it cannot be drawn.
        assert await image.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    await screenshot(page, "trends")


async def test_the_intake_form_fits_a_phone(client, live_server, phone, screenshot):
    batch = await make_batch(batch_no="SYR2402")
    await make_complaint(client, await headers_for("cs"), barcode=f"(01){batch.gtin}(10)SYR2402")
    cs = await make_user("cs")
    page = phone
    await sign_in(page, live_server, cs.username, "id")
    await page.goto(f"{live_server}/complaints/new")
    await page.get_by_label("Barcode").fill(f"(01){batch.gtin}(17)280131(10)SYR2402")
    await page.get_by_label("Barcode").press("Enter")
    await expect(page.get_by_label("Bets", exact=True)).to_have_value("SYR2402")
    await fits_the_screen(page)
    await screenshot(page, "intake-phone")
    await page.goto(f"{live_server}/complaints")
    await fits_the_screen(page)
    await screenshot(page, "register-phone")

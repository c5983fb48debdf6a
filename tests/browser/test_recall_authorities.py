"""QA records a report sent to BPOM, and a QA manager moves a deadline an order letter set,
in the browser, at desktop and phone width; the dashboard shows each market's deadlines."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from recall.settings import get_settings
from tests.browser.steps import fits_the_screen, sign_in
from tests.factories import PASSWORD, approved_recall, make_consignee, make_user, recent_batch, ship

pytestmark = pytest.mark.browser


def local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(get_settings().time_zone)).strftime("%Y-%m-%dT%H:%M")


async def two_markets(client) -> dict:
    """A syrup batch at a PBF in Surabaya, a pharmacy in Medan and an importer in the United
    States, recalled under BPOM and FDA on an order letter, and approved."""
    batch = await recent_batch(name="Paracetamol Sirup 120 mg/5 ml")
    pbf = await make_consignee("PBF-SBY", name="PT Nusantara Medika", province="Jawa Timur")
    pharmacy = await make_consignee(
        "APT-MDN", name="Apotek Sehat Medan", kind="pharmacy", province="Sumatera Utara"
    )
    importer = await make_consignee(
        "US-IMP", name="Pacific Pharma Imports LLC", province=None, country="US"
    )
    await ship(batch, pbf, 1200)
    await ship(batch, importer, 300)
    await ship(batch, pharmacy, 60, sender=pbf)
    ordered_on = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    return await approved_recall(
        client,
        batch,
        profiles=["bpom", "fda"],
        recall_type="mandatory",
        ordered_on=ordered_on,
        authority_reference="T-PW.01.12.3.345.10.26.001",
    )


def initial_report(page):
    """The BPOM market's initial report deadline, a row of the dashboard (in Indonesian)."""
    bpom = page.get_by_role("region", name="Tenggat").get_by_role(
        "table", name="Badan Pengawas Obat dan Makanan"
    )
    return bpom.get_by_role("row").filter(has_text="Laporan awal ke otoritas")


async def test_qa_records_a_submission_to_bpom(client, live_server, desktop, phone, screenshot):
    recall = await two_markets(client)
    qa = await make_user("qa")
    page = desktop
    dashboard = f"{live_server}/recalls/{recall['id']}"

    await sign_in(page, live_server, qa.username, "id")
    await page.goto(dashboard)
    initial = initial_report(page)
    # Seven days after the order letter, the five-day initial report is two days late.
    await expect(initial).to_contain_text(re.compile(r"Terlambat \d+ hari"))
    await expect(initial).to_contain_text("Sejak surat perintah")
    await screenshot(page, "deadlines")

    submissions = page.get_by_role("region", name="Pengiriman ke otoritas")
    await submissions.get_by_role("link", name="Catat pengiriman").click()
    form = page.get_by_role("form", name="Catat pengiriman")
    await expect(form.get_by_label("Penerima surat")).to_have_value(
        "Kepala Badan Pengawas Obat dan Makanan\n"
        "Balai Besar POM di Medan\nBalai Besar POM di Surabaya"
    )
    await form.get_by_label("Yang dikirim").select_option("initial_report")
    await form.get_by_label(re.compile("^Dikirim pada")).fill(
        local(datetime.now(UTC) + timedelta(minutes=1))
    )
    await form.get_by_label("Saluran").select_option("email")
    await form.get_by_label(re.compile("^Referensi")).fill("PW.01.12.3.345")
    await screenshot(page, "submission-form")
    await form.get_by_role("button", name="Catat pengiriman ini").click()

    await expect(page).to_have_url(f"{dashboard}#h-submissions")
    table = page.get_by_role("table", name=re.compile("Laporan dan permohonan"))
    row = table.get_by_role("row").filter(has_text="PW.01.12.3.345")
    await expect(row).to_contain_text("Laporan awal")
    await expect(row).to_contain_text("Balai Besar POM di Medan")
    await expect(row).to_contain_text(re.compile(r"Terlambat \d+ hari"))
    await expect(initial).to_contain_text("Terlambat")  # met late: still late, in words
    await screenshot(page, "submission-recorded")

    await sign_in(phone, live_server, qa.username, "id")
    await phone.goto(f"{dashboard}#h-deadlines")
    await expect(phone.get_by_role("heading", name="Distribusi per pasar")).to_be_visible()
    await fits_the_screen(phone)
    await screenshot(phone, "dashboard-phone")


async def test_manager_overrides_a_deadline_with_a_signature(
    client, live_server, desktop, phone, screenshot
):
    recall = await two_markets(client)
    manager = await make_user("qa_manager")
    page = phone
    dashboard = f"{live_server}/recalls/{recall['id']}"

    await sign_in(page, live_server, manager.username, "id")
    await page.goto(dashboard)
    initial = initial_report(page)
    await initial.get_by_role("link", name=re.compile("^Ubah tenggat")).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Ubah tenggat {recall['reference']}"
    )
    await fits_the_screen(page)
    new_due = datetime.now(UTC) + timedelta(days=3)
    await page.get_by_label(re.compile("^Tanggal dan jam jatuh tempo baru")).fill(local(new_due))
    await page.get_by_label("Alasan").fill(
        "Surat perintah BPOM T-PW.01.12.3.345 memberi 10 hari untuk laporan awal"
    )
    await page.get_by_label("Kata sandi").fill("bukan kata sandi saya")
    await page.get_by_label("Makna").fill("Tenggat sesuai surat perintah")
    await page.get_by_role("button", name="Tanda tangani", exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text("Kata sandi salah")
    await screenshot(page, "override-wrong-password-phone")

    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Tanda tangani", exact=True).click()
    await expect(page).to_have_url(dashboard)
    await expect(initial).to_contain_text("Diubah: Surat perintah BPOM")
    await expect(initial).not_to_contain_text("Terlambat")
    await expect(initial).to_contain_text("Jatuh tempo berikutnya")
    signatures = page.get_by_role("region", name="Tanda tangan elektronik")
    await expect(signatures).to_contain_text("Perubahan tenggat")
    await fits_the_screen(page)
    await screenshot(page, "overridden-phone")

    await sign_in(desktop, live_server, manager.username, "en")
    await desktop.goto(f"{dashboard}#h-deadlines")
    row = (
        desktop.get_by_role("table", name="Badan Pengawas Obat dan Makanan")
        .get_by_role("row")
        .filter(has_text="Initial report to the authority")
    )
    await expect(row).to_contain_text("Overridden: Surat perintah BPOM")
    await screenshot(desktop, "overridden-desktop")


async def test_the_proposal_asks_for_the_order_date_of_a_mandatory_recall(
    client, live_server, desktop, phone, screenshot
):
    batch = await recent_batch(name="Amoksisilin Sirup Kering 125 mg/5 ml")
    await ship(batch, await make_consignee("PBF-JKT", name="PT Sehat Farma Distribusi"), 500)
    qa = await make_user("qa")
    for page, width in ((phone, "phone"), (desktop, "desktop")):
        await sign_in(page, live_server, qa.username, "id")
        await page.goto(f"{live_server}/recalls/new")
        order_date = page.get_by_label("Tanggal surat perintah")
        await expect(order_date).to_be_hidden()  # a voluntary recall has no order letter
        await page.get_by_label("Jenis penarikan").select_option("mandatory")
        await expect(order_date).to_be_visible()
        await page.get_by_label("Nomor surat otoritas").fill("T-PW.01.12.3.345.10.26.001")
        await page.get_by_label("Kelas penarikan").select_option("I")
        await page.get_by_label("Kedalaman").select_option("consumer")
        await page.get_by_label("Peringatan publik").select_option("general")
        await page.get_by_label(re.compile("^FDA")).check()
        await page.get_by_label(batch.batch_no).check()
        await page.get_by_label("Alasan penarikan").fill("Kadar dietilen glikol melebihi batas")
        await page.get_by_label("Penilaian bahaya kesehatan").fill("Gagal ginjal akut mungkin")
        await page.get_by_role("button", name="Pratinjau").click()
        await page.get_by_role("button", name="Usulkan penarikan").click()
        await expect(page.get_by_role("alert")).to_contain_text("Tanggal surat perintah")
        await expect(page.locator("#f-ordered_on-error")).to_be_visible()
        await fits_the_screen(page)
        await screenshot(page, f"refused-{width}")

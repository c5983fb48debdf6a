"""QA puts a batch on hold from its page, in Indonesian, on a desktop and on a phone."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.steps import fits_the_screen, sign_in
from tests.factories import make_consignee, make_user, recent_batch, ship

pytestmark = pytest.mark.browser


async def test_qa_holds_a_batch_and_sees_it_on_hold(live_server, desktop, phone, screenshot):
    batch = await recent_batch(name="Sirup Parasetamol")
    await ship(batch, await make_consignee("PBF-JKT-01"), 400)
    qa = await make_user("qa")
    page = desktop
    await sign_in(page, live_server, qa.username, "id")
    await page.goto(f"{live_server}/masterdata/batches/{batch.id}")
    status = page.get_by_role("region", name="Status bets")
    await expect(status).to_contain_text("Dirilis")
    await status.get_by_role("button", name="Tahan").click()
    await expect(page.get_by_label("Alasan")).to_have_attribute("aria-invalid", "true")
    await screenshot(page, "hold-refused")
    await page.get_by_label("Alasan").fill("Hasil uji kadar di luar tren; menunggu investigasi.")
    await page.get_by_role("button", name="Tahan").click()
    await expect(page.get_by_role("status")).to_contain_text("Bets ditahan")
    await expect(status).to_contain_text("Ditahan")
    await expect(status).to_contain_text("Dihentikan sejak")
    await fits_the_screen(page)
    await screenshot(page, "batch-on-hold-desktop")

    await sign_in(phone, live_server, qa.username, "id")
    await phone.goto(f"{live_server}/masterdata/batches/{batch.id}")
    await expect(phone.get_by_role("region", name="Status bets")).to_contain_text("Ditahan")
    await fits_the_screen(phone)
    await screenshot(phone, "batch-on-hold-phone")
    await phone.goto(f"{live_server}/masterdata/batches")
    await fits_the_screen(phone)
    await screenshot(phone, "batches-phone")

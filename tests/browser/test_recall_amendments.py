"""QA adds a batch to a running recall in the browser, a QA manager signs it on a phone in
Indonesian; the dashboard lists the amendment on both screens without scrolling sideways."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.browser.steps import fits_the_screen, sign_in
from tests.factories import (
    PASSWORD,
    approved_recall,
    make_consignee,
    make_user,
    recent_batch,
    ship,
)

pytestmark = pytest.mark.browser


async def test_a_batch_is_added_previewed_signed_and_listed(
    client, live_server, desktop, phone, screenshot, artifacts
):
    b1 = await recent_batch(name="Sirup Parasetamol 120 mg/5 ml")
    b2 = await recent_batch(name="Sirup Parasetamol 120 mg/5 ml")
    old = await make_consignee("PBF-JKT", name="PT Sehat Farma Distribusi")
    new = await make_consignee("PBF-SBY", name="PT Surabaya Medika Utama")
    await ship(b1, old, 1200)
    await ship(b2, old, 300)
    await ship(b2, new, 250)
    recall = await approved_recall(client, b1)
    qa, manager = await make_user("qa"), await make_user("qa_manager")

    page = desktop
    await sign_in(page, live_server, qa.username)
    await page.goto(f"{live_server}/recalls/{recall['id']}")
    await page.get_by_role("link", name="Add batches").click()
    await page.get_by_label("Batch numbers").fill(b2.batch_no)
    await page.get_by_label("Reason for the amendment").fill(
        "The same contaminated propylene glycol drum was used for this batch."
    )
    await page.get_by_role("button", name="Preview").click()
    added = page.get_by_role("region", name="What the amendment adds")
    await expect(added.get_by_role("row").filter(has_text=b2.batch_no)).to_be_visible()
    await expect(added).to_contain_text(re.compile(r"Consignees newly reached\s*1"))
    await screenshot(page, "preview")
    await page.get_by_role("button", name="Propose the amendment").click()
    await expect(page).to_have_url(f"{live_server}/recalls/{recall['id']}")
    listed = page.get_by_role("region", name=re.compile("^Scope amendments"))
    await expect(listed).to_contain_text(b2.batch_no)
    await expect(listed).to_contain_text("Waiting for a QA manager")

    page = phone
    await sign_in(page, live_server, manager.username, language="id")
    await page.goto(f"{live_server}/recalls/{recall['id']}")
    listed = page.get_by_role("region", name=re.compile("^Amendemen cakupan"))
    await listed.get_by_role("link", name="Setujui").click()
    signed = page.get_by_role("region", name="Yang Anda tandatangani")
    await expect(signed).to_contain_text(b2.batch_no)
    await fits_the_screen(page)
    await screenshot(page, "signature-form-phone")
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_label("Makna tanda tangan").fill("Disetujui: lot pelarut yang sama")
    await page.get_by_role("button", name="Tanda tangani", exact=True).click()
    await expect(page).to_have_url(f"{live_server}/recalls/{recall['id']}")
    listed = page.get_by_role("region", name=re.compile("^Amendemen cakupan"))
    await expect(listed).to_contain_text("Disetujui")
    await expect(listed).to_contain_text(manager.full_name)
    await listed.scroll_into_view_if_needed()
    await fits_the_screen(page)
    await screenshot(page, "dashboard-phone")
    await listed.screenshot(path=str(artifacts / "amendments-phone.png"))

    page = desktop
    await page.reload()
    listed = page.get_by_role("region", name=re.compile("^Scope amendments"))
    await expect(listed).to_contain_text("Disetujui: lot pelarut yang sama")
    await fits_the_screen(page)
    await screenshot(page, "dashboard-desktop")
    await listed.screenshot(path=str(artifacts / "amendments-desktop.png"))

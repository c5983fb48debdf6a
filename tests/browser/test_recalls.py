"""The QA manager signs a recall in the browser; the dashboard shows how the recall stands."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.browser.steps import fits_the_screen, sign_in
from tests.factories import (
    PASSWORD,
    approved_recall,
    headers_for,
    make_consignee,
    make_user,
    propose,
    recent_batch,
    ship,
)
from tests.reads import my_notices

pytestmark = pytest.mark.browser


async def test_manager_reads_what_is_signed_and_approves(client, live_server, desktop, screenshot):
    batch = await recent_batch()
    await ship(batch, await make_consignee("PBF-JKT", name="PT Sehat Farma Distribusi"), 1200)
    await ship(
        batch,
        await make_consignee("APT-BDG", name="Apotek Kimia Bandung", kind="pharmacy"),
        80,
    )
    recall = await propose(client, batch_ids=[batch.id])
    manager = await make_user("qa_manager")
    page = desktop

    await sign_in(page, live_server, manager.username)
    await page.goto(f"{live_server}/recalls")
    await expect(page).to_have_title(re.compile("^Recalls"))
    await screenshot(page, "list")
    await page.get_by_role("link", name=recall["reference"]).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(recall["reference"])
    await expect(page.get_by_role("heading", level=1)).to_contain_text("waiting for approval")
    await page.get_by_role("link", name="Approve").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Approve recall {recall['reference']}"
    )
    signed = page.get_by_role("region", name="What you are signing")
    await expect(signed).to_contain_text(recall["reference"])
    await expect(signed).to_contain_text("Class I")
    await expect(signed).to_contain_text("Diethylene glycol above limit")
    await expect(signed.get_by_role("row").filter(has_text=batch.batch_no)).to_be_visible()
    consignees = signed.get_by_role("definition").filter(has_text=re.compile(r"^\s*2\b"))
    await expect(consignees).to_have_count(1)
    await screenshot(page, "signature-form")

    await page.get_by_label("Password").fill("not my password")
    await page.get_by_label("Meaning").fill("Approved as responsible pharmacist")
    await page.get_by_role("button", name="Sign", exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text("The password is wrong")
    await expect(page.get_by_label("Password")).to_have_value("")
    await expect(page.get_by_label("Meaning")).to_have_value("Approved as responsible pharmacist")
    await screenshot(page, "wrong-password")

    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign", exact=True).click()

    await expect(page).to_have_url(f"{live_server}/recalls/{recall['id']}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("In progress")
    signatures = page.get_by_role("region", name="Electronic signatures")
    await expect(signatures).to_contain_text(manager.full_name)
    await expect(signatures).to_contain_text("Approved as responsible pharmacist")
    await expect(page.get_by_text("this page refreshes every 30 s")).to_be_visible()
    table = page.get_by_role("table", name=re.compile("consignees, by tier"))
    await expect(table.get_by_role("row").filter(has_text="PBF-JKT")).to_be_visible()
    await expect(table.get_by_role("row").filter(has_text="APT-BDG")).to_be_visible()
    await screenshot(page, "approved")


async def answer(client, notice_id: int, headers, batch_no: str, on_hand: int, returned: int):
    stock = {"lines": [{"batch_no": batch_no, "quantity_on_hand": on_hand, "quarantined": on_hand}]}
    response = await client.post(f"/api/notices/{notice_id}/stock", json=stock, headers=headers)
    assert response.status_code == 200, response.text
    returns = {"lines": [{"batch_no": batch_no, "quantity": returned}]}
    response = await client.post(f"/api/notices/{notice_id}/returns", json=returns, headers=headers)
    assert response.status_code == 200, response.text


async def answered_recall(client) -> dict:
    """An approved recall: three wholesalers and two pharmacies they supplied; one wholesaler
    cannot be reached, one acknowledged, one wholesaler and one pharmacy reported."""
    batch = await recent_batch()
    wholesalers = [
        ("PBF-JKT", "PT Sehat Farma Distribusi", 1200),
        ("PBF-SBY", "PT Nusantara Medika", 800),
        ("PBF-MDN", "PT Sumatera Sejahtera Farma", 500),
    ]
    supplier = {}
    for code, name, quantity in wholesalers:
        supplier[code] = await make_consignee(code, name=name)
        await ship(batch, supplier[code], quantity)
    # Neither webhook nor e-mail: its notice fails at once and QA is told to phone it.
    await ship(batch, await make_consignee("PBF-MKS", name="PBF Makassar Jaya", email=""), 300)
    pharmacies = [("APT-001", "Apotek Kimia Bandung"), ("APT-002", "Apotek Sehat Bogor")]
    for code, name in pharmacies:
        pharmacy = await make_consignee(code, name=name, kind="pharmacy")
        await ship(batch, pharmacy, 60, sender=supplier["PBF-JKT"])
    recall = await approved_recall(client, batch)
    for code, on_hand, returned in (("PBF-JKT", 700, 380), ("APT-001", 20, 40)):
        headers = await headers_for("distributor", consignee_code=code)
        notice_id = (await my_notices(client, headers))["items"][0]["id"]
        await answer(client, notice_id, headers, batch.batch_no, on_hand, returned)
    headers = await headers_for("distributor", consignee_code="PBF-SBY")
    notice_id = (await my_notices(client, headers))["items"][0]["id"]
    await client.post(f"/api/notices/{notice_id}/acknowledge", headers=headers)
    return recall


async def test_dashboard_after_consignees_answered(client, live_server, desktop, phone, screenshot):
    recall = await answered_recall(client)
    inspector = await make_user("inspector")

    await sign_in(desktop, live_server, inspector.username)
    await desktop.goto(f"{live_server}/recalls/{recall['id']}")
    await expect(desktop.get_by_role("heading", level=1)).to_contain_text("In progress")
    await expect(desktop.locator("#m-all-responded")).to_have_attribute("value", "2")
    await expect(desktop.locator("#m-all-acknowledged")).to_have_attribute("value", "3")
    rows = desktop.get_by_role("table", name=re.compile("consignees, by tier")).get_by_role("row")
    await expect(rows.filter(has_text="PBF-SBY")).to_contain_text("Acknowledged")
    await expect(rows.filter(has_text="PBF-JKT")).to_contain_text("Responded")
    await expect(rows.filter(has_text="PBF-MKS")).to_contain_text("Delivery failed")
    failures = desktop.get_by_role("region", name=re.compile("Delivery failures"))
    await expect(failures).to_contain_text("No webhook or e-mail address")
    await screenshot(desktop, "dashboard")

    # On a phone, in Indonesian.
    await sign_in(phone, live_server, inspector.username, "id")
    await phone.goto(f"{live_server}/recalls/{recall['id']}")
    await expect(phone.get_by_role("heading", level=1)).to_contain_text("Sedang berjalan")
    await expect(phone.get_by_role("heading", name="Tenggat")).to_be_visible()
    await fits_the_screen(phone)
    await screenshot(phone, "dashboard-phone")


async def test_manager_closes_with_a_justification(client, live_server, desktop, screenshot):
    recall = await answered_recall(client)
    manager = await make_user("qa_manager")
    page = desktop

    await sign_in(page, live_server, manager.username)
    await page.goto(f"{live_server}/recalls/{recall['id']}")
    await page.get_by_role("link", name="Close recall").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Close recall {recall['reference']}"
    )
    signed = page.get_by_role("region", name="What you are signing")
    await expect(signed).to_contain_text("1,720")  # 2,800 out; 700 held, 380 returned
    await expect(page.get_by_label("Justification")).to_have_attribute("required", "")
    await page.get_by_label("Justification").fill(
        "Remaining stock confirmed destroyed by the wholesalers; certificates on file."
    )
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Meaning").fill("Recall completed")
    await screenshot(page, "close-form")
    await page.get_by_role("button", name="Sign", exact=True).click()

    await expect(page).to_have_url(f"{live_server}/recalls/{recall['id']}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Closed")
    signatures = page.get_by_role("region", name="Electronic signatures")
    await expect(signatures).to_contain_text("Closure")
    await expect(signatures).to_contain_text("Recall completed")
    await expect(page.get_by_text("certificates on file")).to_be_visible()
    await expect(page.get_by_text("refreshes every")).to_have_count(0)
    await screenshot(page, "closed")

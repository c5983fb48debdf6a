"""The whole way through, in one browser: a pharmacist's call about a cloudy syrup becomes a
complaint, an investigation, a recall signed by the QA manager, a notice the pharmacy
answers on its phone, and figures on the recall dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from recall import db, notices
from recall.clock import today
from recall.notices._messages import portal_url
from tests.browser.steps import field, sign_in, submit
from tests.factories import (
    PASSWORD,
    make_batch,
    make_consignee,
    make_product,
    make_user,
    ship,
)

pytestmark = pytest.mark.browser


async def sign_out(page: Page) -> None:
    await page.get_by_role("button", name="Sign out").click()


async def test_from_a_pharmacists_call_to_the_pharmacy_returning_the_syrup(
    live_server, desktop, phone, screenshot
):
    product = await make_product(name="Paracetamol Sirup", strength="120 mg/5 mL")
    batch = await make_batch(
        product.gtin,
        batch_no="SYR2601",
        manufactured_on=today() - timedelta(days=90),
        expires_on=today() + timedelta(days=700),
    )
    pbf = await make_consignee("PBF-JKT", name="PT Sehat Farma Distribusi")
    pharmacy = await make_consignee(
        "APT-BDG", name="Apotek Sehat Sentosa", kind="pharmacy", email="apotek@example.com"
    )
    await ship(batch, pbf, 500)
    await ship(batch, pharmacy, 40, sender=pbf)
    cs, qa = await make_user("cs"), await make_user("qa")
    manager = await make_user("qa_manager")
    page = desktop

    # Customer service logs the call, reading the pack's barcode.
    await sign_in(page, live_server, cs.username)
    await page.get_by_role("link", name="Log complaint").first.click()
    await page.get_by_label("Barcode").fill(f"(01){batch.gtin}(10)SYR2601(21)SN0001")
    await page.get_by_label("Barcode").press("Enter")
    await expect(page.get_by_label("Batch", exact=True)).to_have_value("SYR2601")
    await page.get_by_label("Reporter name").fill("apt. Ani Wijaya")
    await page.get_by_label("Reporter kind").select_option(label="Pharmacist")
    await page.get_by_label("Channel").select_option(label="Phone")
    await page.get_by_label("Description").fill("Syrup cloudy with white sediment at the bottom.")
    await page.get_by_label("Sample available").check()
    await page.get_by_role("button", name="Log complaint").click()
    heading = page.get_by_role("heading", level=1)
    await expect(heading).to_contain_text(re.compile(r"CMP-\d{4}-\d{6}"))
    complaint = re.search(r"CMP-\d{4}-\d{6}", await heading.inner_text())[0]
    await screenshot(page, "complaint")
    await sign_out(page)

    # QA triages it from the home page's work list and investigates.
    await sign_in(page, live_server, qa.username)
    await page.get_by_role("link", name=complaint).click()
    await page.get_by_label("Category").select_option(label="Quality defect")
    await page.get_by_label("Severity").select_option(label="Critical")
    await page.get_by_label("Yes, investigate").check()
    await page.get_by_role("button", name="Record triage").click()
    await page.get_by_role("link", name="Open an investigation").click()
    await expect(page.get_by_label(complaint)).to_be_checked()
    await page.get_by_label("Title").fill("Cloudy paracetamol syrup SYR2601")
    await page.get_by_role("button", name="Open investigation").click()
    await page.get_by_label("Root cause category").select_option(label="Material")
    await page.get_by_label("Root cause", exact=True).fill("Solvent lot contaminated.")
    await page.get_by_role("button", name="Save root cause and findings").click()
    await page.get_by_role("textbox", name="Conclusion").fill("Contaminated solvent; recall.")
    await page.get_by_label("Yes, recommend a recall").check()
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Meaning").fill("Investigation reviewed and concluded")
    await page.get_by_role("button", name="Sign and conclude").click()
    await screenshot(page, "investigation")

    # QA proposes the recall after previewing who it reaches.
    await page.get_by_role("link", name="Propose recall").click()
    await expect(page.get_by_label("SYR2601")).to_be_checked()
    await page.get_by_label("Recall class").select_option("I")
    await page.get_by_label("Depth").select_option("retail")
    await page.get_by_label("Health hazard assessment").fill("Acute kidney injury possible.")
    await page.get_by_role("button", name="Preview").click()
    consignees = page.get_by_role("table", name="Consignees", exact=True)
    await expect(consignees.get_by_role("row").filter(has_text="APT-BDG")).to_be_visible()
    await screenshot(page, "proposal-preview")
    await page.get_by_role("button", name="Propose recall").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("waiting for approval")
    recall_url = page.url
    await sign_out(page)

    # The QA manager reads what is signed and signs it.
    await sign_in(page, live_server, manager.username)
    await page.get_by_role("link", name=re.compile(r"^RCL-")).first.click()
    await page.get_by_role("link", name="Approve").click()
    await expect(page.get_by_role("region", name="What you are signing")).to_contain_text("SYR2601")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Meaning").fill("Approved as responsible pharmacist")
    await page.get_by_role("button", name="Sign", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("In progress")
    assert page.url == recall_url

    # The pharmacy opens the link from its e-mail on a phone, acknowledges and returns.
    [row] = await db.fetch(
        "SELECT n.id AS id FROM notice n JOIN consignee c ON c.id = n.consignee "
        "WHERE c.code = 'APT-BDG'"
    )
    await phone.goto(portal_url(live_server, await notices.portal_token(row["id"])))
    await phone.get_by_role("button", name="Acknowledge").click()
    await expect(phone.get_by_role("status")).to_contain_text("acknowledgement is recorded")
    await field(phone, "Quantity returned", "SYR2601").fill("12")
    await submit(phone, "Returns")
    await expect(phone.get_by_role("status")).to_contain_text("returns are recorded")
    await screenshot(phone, "pharmacy-returned")

    # The dashboard shows it.
    await page.reload()
    table = page.get_by_role("table", name=re.compile("consignees, by tier"))
    answered = table.get_by_role("row").filter(has_text="APT-BDG")
    await expect(answered).to_contain_text("Responded")
    await expect(answered).to_contain_text("12")
    await screenshot(page, "dashboard")

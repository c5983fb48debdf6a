"""A wholesaler signs in and answers its recall notice: acknowledge, stock, returns, customers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from recall import db
from recall.clock import today
from tests.browser.steps import field, fits_the_screen, sign_in, submit
from tests.factories import (
    approved_recall,
    make_batch,
    make_consignee,
    make_user,
    recent_batch,
    ship,
)
from tests.reads import lines, notice_ids, notice_row

pytestmark = pytest.mark.browser


async def world(client) -> dict:
    first = await recent_batch()
    second = await make_batch(
        manufactured_on=today() - timedelta(days=60), expires_on=today() + timedelta(days=650)
    )
    pbf = await make_consignee("A-PBF", name="PBF Sehat Sentosa")
    rival = await make_consignee("B-PBF", name="PBF Nusantara Farma")
    await ship(first, pbf, 1200)
    await ship(second, pbf, 300)
    await ship(first, rival, 50)
    recall = await approved_recall(client, first, batch_ids=[first.id, second.id])
    ids = await notice_ids()
    return {
        "first": first,
        "second": second,
        "recall": recall,
        "notice": ids[pbf.id],
        "rival_notice": ids[rival.id],
        "user": await make_user("distributor", consignee_code=pbf.code),
    }


async def name_customer(page: Page, row: int, values: dict[str, str]) -> None:
    customer = page.get_by_role("group", name=f"Customer {row}", exact=True)
    await customer.get_by_label("Customer code").fill(values["code"])
    await customer.get_by_label("Customer name").fill(values["name"])
    await customer.get_by_label("Kind").select_option(label=values["kind"])
    await customer.get_by_label("Batch").select_option(values["batch"])
    await customer.get_by_label("Quantity passed on").fill(values["quantity"])
    if "webhook" in values:
        await customer.get_by_label("Webhook URL (optional)").fill(values["webhook"])


async def test_a_wholesaler_answers_its_notice(client, live_server, desktop, screenshot):
    state = await world(client)
    first, second = state["first"].batch_no, state["second"].batch_no
    page = desktop
    await sign_in(page, live_server, state["user"].username)

    await page.goto(f"{live_server}/notices")
    await expect(page).to_have_title("Your recall notices · Recall")
    notices = page.get_by_role("table")
    await expect(notices.get_by_role("row")).to_have_count(2)
    await screenshot(page, "notices")
    await notices.get_by_role("link", name=state["recall"]["reference"]).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Drug recall notice")
    await expect(page.get_by_role("table", name="Batches to look for")).to_contain_text(first)
    await screenshot(page, "notice")

    await page.get_by_role("button", name="Acknowledge").click()
    await expect(page.get_by_role("status")).to_contain_text("acknowledgement is recorded")

    await field(page, "Quantity on hand", first).fill("1000")
    await field(page, "Quantity quarantined", first).fill("1000")
    await field(page, "Quantity on hand", second).fill("300")
    await field(page, "Quantity quarantined", second).fill("250")
    await submit(page, "Stock on hand")
    await expect(page.get_by_role("status")).to_contain_text("stock report is saved")

    await field(page, "Quantity returned", first).fill("150")
    await submit(page, "Returns")
    await expect(page.get_by_role("status")).to_contain_text("returns are recorded")

    await name_customer(page, 1, {"code": "C-APT", "name": "Apotek Cempaka", "kind": "Pharmacy",
                                  "batch": first, "quantity": "40",
                                  "webhook": "https://cempaka.example/recall"})  # fmt: skip
    await page.get_by_text("More customers").click()
    await name_customer(page, 2, {"code": "D-RS", "name": "RS Dahlia", "kind": "Hospital",
                                  "batch": second, "quantity": "12"})  # fmt: skip
    await screenshot(page, "customers-filled")
    await submit(page, "Name customers")
    secret = page.get_by_role("status").filter(has_text="shown only this once")
    await expect(secret).to_contain_text("Apotek Cempaka (C-APT)")
    await screenshot(page, "customers-named")

    await (
        page.get_by_role("navigation", name="Sections")
        .get_by_role("link", name="Your recall notices")
        .click()
    )
    await page.get_by_role("link", name=state["recall"]["reference"]).click()
    customers = page.get_by_role("table", name="Customers you named")
    for name, shown in (("Apotek Cempaka", f"{first}: 40"), ("RS Dahlia", f"{second}: 12")):
        row = customers.get_by_role("row").filter(has_text=name)
        await expect(row).to_contain_text(shown)
        await expect(row).to_contain_text("2")
    await expect(page.get_by_text("shown only this once")).to_have_count(0)
    received = page.get_by_role("table", name="What you received")
    row = received.get_by_role("row").filter(has_text=first)
    await expect(row.get_by_role("cell")).to_have_text([first, "1200", "1000", "1000", "150"])
    await screenshot(page, "answered")

    assert (await notice_row(state["notice"]))["status"] == "responded"
    assert (await lines(state["notice"]))[second] == {
        "on_hand": 300,
        "quarantined": 250,
        "returned": 0,
    }
    codes = await db.fetch("SELECT c.code AS code FROM notice n JOIN consignee c "
                           "ON c.id = n.consignee WHERE n.via_notice = {} ORDER BY c.code",
                           state["notice"])  # fmt: skip
    assert [row["code"] for row in codes] == ["C-APT", "D-RS"]


async def test_the_notice_on_a_phone(client, live_server, phone, screenshot):
    state = await world(client)
    first = state["first"].batch_no
    page = phone
    await sign_in(page, live_server, state["user"].username)
    await page.goto(f"{live_server}/notices")
    await fits_the_screen(page)
    await screenshot(page, "notices")
    await page.get_by_role("link", name=state["recall"]["reference"]).click()
    await page.get_by_role("button", name="Acknowledge").click()
    await field(page, "Quantity on hand", first).fill("900")
    await submit(page, "Stock on hand")
    await expect(page.get_by_role("status")).to_contain_text("stock report is saved")
    await name_customer(page, 1, {"code": "E-KLN", "name": "Klinik Eka Husada", "kind": "Clinic",
                                  "batch": first, "quantity": "15"})  # fmt: skip
    await submit(page, "Name customers")
    await expect(page.get_by_role("status")).to_contain_text("customers are recorded")
    await expect(page.get_by_role("table", name="Customers you named")).to_contain_text(
        "Klinik Eka Husada"
    )
    await fits_the_screen(page)
    await screenshot(page, "answered")


async def test_another_distributors_notice_is_not_found(client, live_server, desktop, screenshot):
    state = await world(client)
    page = desktop
    await sign_in(page, live_server, state["user"].username)
    response = await page.goto(f"{live_server}/notices/{state['rival_notice']}")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    await expect(page.get_by_text("PBF Nusantara Farma")).to_have_count(0)
    await screenshot(page, "not-found")


async def test_a_tampered_csrf_token_is_refused(client, live_server, desktop, screenshot):
    state = await world(client)
    page = desktop
    await sign_in(page, live_server, state["user"].username)
    await page.goto(f"{live_server}/notices/{state['notice']}")
    form = page.get_by_role("form", name="Acknowledge")
    await form.locator("input[name=_csrf_token]").evaluate("input => input.value += 'x'")
    await form.get_by_role("button", name="Acknowledge").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("This form has expired")
    await screenshot(page, "refused")
    assert (await notice_row(state["notice"]))["acknowledged_at"] is None
    assert re.search(r"/notices/\d+/acknowledge$", page.url)

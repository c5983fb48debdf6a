"""A pharmacy answers a recall notice on its phone: acknowledge, report stock, return packs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import expect

from recall import db, notices
from recall.clock import today
from recall.notices._messages import portal_url
from tests.browser.steps import field, fits_the_screen, submit
from tests.factories import (
    approved_recall,
    make_batch,
    make_consignee,
    recent_batch,
    scan,
    ship,
)
from tests.reads import lines, notice_row, trail

pytestmark = pytest.mark.browser


async def test_pharmacy_answers_the_notice_on_a_phone(client, live_server, phone, screenshot):
    first = await recent_batch()
    second = await make_batch(
        manufactured_on=today() - timedelta(days=60), expires_on=today() + timedelta(days=650)
    )
    pharmacy = await make_consignee("P-APT", name="Apotek Sehat Sentosa", kind="pharmacy")
    await ship(first, pharmacy, 120)
    await ship(second, pharmacy, 30)
    recall = await approved_recall(client, first, batch_ids=[first.id, second.id])
    (notice,) = await db.fetch("SELECT id FROM notice WHERE consignee = {}", pharmacy.id)
    page = phone

    await page.goto(portal_url(live_server, await notices.portal_token(notice["id"])))
    await expect(page).to_have_title(recall["reference"])
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Drug recall notice")
    wanted = page.get_by_role("table", name="Batches to look for")
    for batch in (first, second):
        row = wanted.get_by_role("row").filter(has_text=batch.batch_no)
        await expect(row).to_be_visible()
        await expect(row).to_contain_text(batch.gtin)
        await expect(row).to_contain_text(batch.expires_on.isoformat())
    await fits_the_screen(page)
    await screenshot(page, "notice")

    await page.get_by_role("button", name="Acknowledge").click()
    await expect(page.get_by_role("status")).to_contain_text("acknowledgement is recorded")
    await expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    await screenshot(page, "acknowledged")

    await field(page, "Quantity on hand", first.batch_no).fill("100")
    await field(page, "Quantity quarantined", first.batch_no).fill("100")
    await field(page, "Quantity on hand", second.batch_no).fill("30")
    await field(page, "Quantity quarantined", second.batch_no).fill("25")
    await screenshot(page, "stock-filled")
    await submit(page, "Stock on hand")
    await expect(page.get_by_role("status")).to_contain_text("stock report is saved")

    await field(page, "Quantity returned", first.batch_no).fill("20")
    await submit(page, "Returns")
    await expect(page.get_by_role("status")).to_contain_text("returns are recorded")

    scans = [scan(second, "S1"), scan(second, "S2"), scan(second, "S1")]
    await page.get_by_label("GS1 scans").fill("\n".join(scans))
    await screenshot(page, "scans-filled")
    await submit(page, "Returns")
    await expect(page.get_by_role("status")).to_contain_text("1 repeated scan not counted")

    received = page.get_by_role("table", name="What you received")
    for batch_no, shown in ((first.batch_no, "120 100 100 20"), (second.batch_no, "30 30 25 2")):
        row = received.get_by_role("row").filter(has_text=batch_no)
        await expect(row.get_by_role("cell")).to_have_text([batch_no, *shown.split()])
    await fits_the_screen(page)
    await screenshot(page, "responded")

    row = await notice_row(notice["id"])
    assert row["status"] == "responded"
    assert row["acknowledged_at"] is not None
    assert row["responded_at"] is not None
    assert await lines(notice["id"]) == {
        first.batch_no: {"on_hand": 100, "quarantined": 100, "returned": 20},
        second.batch_no: {"on_hand": 30, "quarantined": 25, "returned": 2},
    }
    assert sorted(await trail(client, notice["id"])) == [
        "acknowledged",
        "returns_recorded",
        "returns_recorded",
        "stock_reported",
    ]

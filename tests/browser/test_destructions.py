"""QA records a berita acara pemusnahan in the browser, adding a witness row without a script;
the record lists its number, executor and witnesses, on a desktop and on a phone."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.steps import fits_the_screen, sign_in
from tests.factories import destroy, make_user, two_tier_recall

pytestmark = pytest.mark.browser

LONG_NUMBER = "BA/" + "0123456789" * 9 + "/QA/26"


async def test_qa_records_a_berita_acara_with_four_witnesses(
    client, live_server, desktop, phone, screenshot
):
    world = await two_tier_recall(client)
    # A record with a number as long as allowed must still fit a phone.
    long = await destroy(
        client,
        world,
        3,
        consignee_code="PBF-B",
        document_no=LONG_NUMBER,
        witnesses=[{"name": "Siti Rahma", "agency": "QA internal"}],
    )
    assert long.status_code == 201, long.text
    qa = await make_user("qa")
    page = desktop
    path = f"{live_server}/recalls/{world['recall']['id']}/destructions"

    await sign_in(page, live_server, qa.username)
    await page.goto(path)
    form = page.get_by_role("region", name="Record a destruction")
    await form.get_by_label("Batch").select_option(
        label=f"{world['b1'].batch_no} · Paracetamol Syrup"
    )
    await form.get_by_label("Quantity destroyed (units)").fill("40")
    await form.get_by_label("Destroyed at consignee (code)").fill("PBF-A")
    await form.get_by_label("Berita acara number").fill("BA-031/QA/XII/2026")
    await form.get_by_label("Carried out by").fill("PT Wastec Internasional")
    await form.get_by_label("Destruction method").fill("Insinerasi")
    await form.get_by_label("Place of destruction").fill("Cileungsi, Bogor")
    witnesses = [
        ("Dra. Wulan Sari, Apt.", "Balai Besar POM di Surabaya"),
        ("Bambang Hartono", "Dinas Kesehatan Kota Surabaya"),
        ("Rudi Santoso", "BPOM"),
    ]
    for number, (name, agency) in enumerate(witnesses, 1):
        await form.get_by_label(f"Witness {number}: name").fill(name)
        await form.get_by_label(f"Witness {number}: agency").fill(agency)
    await form.get_by_role("button", name="Add a witness row").click()
    form = page.get_by_role("region", name="Record a destruction")
    await expect(form.get_by_label("Witness 3: name")).to_have_value("Rudi Santoso")
    await form.get_by_label("Witness 4: name").fill("Ani Lestari")
    await form.get_by_label("Witness 4: agency").fill("QA internal")
    await screenshot(page, "form")
    await form.get_by_role("button", name="Record destruction").click()

    record = page.get_by_role("article", name="BA-031/QA/XII/2026")
    await expect(record).to_contain_text("PT Wastec Internasional")
    await expect(record).to_contain_text("40 units")
    for name, agency in [*witnesses, ("Ani Lestari", "QA internal")]:
        await expect(record).to_contain_text(f"{name} ({agency})")
    await screenshot(page, "listed")

    await sign_in(phone, live_server, qa.username)
    await phone.goto(path)
    await expect(phone.get_by_role("article", name="BA-031/QA/XII/2026")).to_be_visible()
    await fits_the_screen(phone)
    await screenshot(phone, "phone")

"""Customer service attaches a photo and a letter to a complaint with the plain file input;
an inspector sees them listed and downloads one; on a desktop and on a phone, in Indonesian."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.steps import fits_the_screen, sign_in
from tests.factories import make_complaint, make_user

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 4000
LONG_NAME = "Surat keluhan Apotek Kenanga tentang sirup keruh batch SYR2401 " * 2 + ".pdf"


async def test_files_are_attached_listed_and_downloaded(
    client, live_server, desktop, phone, screenshot
):
    complaint = await make_complaint(client)
    path = f"{live_server}/complaints/{complaint['id']}"
    cs = await make_user("cs")
    page = desktop
    await sign_in(page, live_server, cs.username, language="id")
    await page.goto(path)
    files = page.get_by_role("region", name="Berkas bukti")
    await expect(files.get_by_text("Belum ada berkas yang dilampirkan.")).to_be_visible()
    for name, content, kind in (
        ("foto-kemasan.png", PNG, "image/png"),
        (LONG_NAME, PDF, "application/pdf"),
    ):
        files = page.get_by_role("region", name="Berkas bukti")
        await files.get_by_label("Lampirkan berkas").set_input_files(
            files={"name": name, "mimeType": kind, "buffer": content}
        )
        await files.get_by_role("button", name="Lampirkan", exact=True).click()
        await expect(page.get_by_text("Berkas telah dilampirkan.")).to_be_visible()
    files = page.get_by_role("region", name="Berkas bukti")
    await expect(files.get_by_role("link", name="foto-kemasan.png")).to_be_visible()
    await expect(files.get_by_text("PNG", exact=True)).to_be_visible()
    await files.scroll_into_view_if_needed()
    await screenshot(page, "desktop")

    inspector = await make_user("inspector")
    for page, step in ((desktop, "desktop-inspector"), (phone, "phone-inspector")):
        await page.context.clear_cookies()
        await sign_in(page, live_server, inspector.username, language="id")
        await page.goto(f"{path}#attachments-complaint-{complaint['id']}")
        files = page.get_by_role("region", name="Berkas bukti")
        await expect(files.get_by_role("link", name=LONG_NAME.strip())).to_be_visible()
        await expect(files.get_by_label("Lampirkan berkas")).to_have_count(0)
        await fits_the_screen(page)
        await screenshot(page, step)
    async with phone.expect_download() as started:
        await phone.get_by_role("link", name="foto-kemasan.png").click()
    download = await started.value
    assert download.suggested_filename == "foto-kemasan.png"
    assert (await download.path()).read_bytes() == PNG

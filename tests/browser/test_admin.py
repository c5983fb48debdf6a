"""An administrator, in Indonesian, creates a user, resets its password and deactivates it (it
can no longer sign in), then creates a consignee API key and revokes it — on a desktop and on a
400 px phone, where nothing may reach past the window's edge."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.steps import fits_the_screen, sign_in
from tests.factories import make_consignee, make_user

pytestmark = pytest.mark.browser

FIRST_PASSWORD = "kereta-api-pagi-17"
SECOND_PASSWORD = "bunga-melati-putih-42"


async def signs_in(base: str, username: str, password: str) -> bool:
    async with httpx.AsyncClient(base_url=base) as http:
        answer = await http.post(
            "/api/auth/login", json={"username": username, "password": password}
        )
    return answer.status_code == 200


async def key_works(base: str, key: str) -> int:
    async with httpx.AsyncClient(base_url=base) as http:
        answer = await http.get("/api/notices", headers={"Authorization": f"Bearer {key}"})
    return answer.status_code


async def admin_journey(page: Page, base: str, screenshot) -> None:
    await make_consignee("PBF-JKT-001", name="PT Distribusi Farmasi Jakarta")
    await sign_in(page, base, (await make_user("admin")).username, "id")

    await page.get_by_role("link", name="Administrasi", exact=True).first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pengguna")
    await fits_the_screen(page)
    await screenshot(page, "users")

    # A password the policy refuses: the reason beside the field, the other values kept.
    form = page.locator("form#add")
    await form.get_by_label("Nama pengguna").fill("apoteker.budi")
    await form.get_by_label("Nama lengkap").fill("Budi Santoso")
    await form.get_by_label("Inspektur").check()
    await form.get_by_label("Kata sandi").fill("aaaaaaaaaaaaaaa")
    await form.get_by_role("button", name="Buat pengguna").click()
    await expect(page.locator("#f-password-error")).to_have_text(
        "tidak boleh satu karakter yang diulang"
    )
    await expect(page.locator("#f-username")).to_have_value("apoteker.budi")
    await expect(page.locator("#f-password")).to_have_value("")
    await fits_the_screen(page)
    await screenshot(page, "password-refused")

    await page.locator("form#add").get_by_label("Inspektur").check()
    await page.locator("form#add").get_by_label("Kata sandi").fill(FIRST_PASSWORD)
    await page.get_by_role("button", name="Buat pengguna").click()
    await expect(page.get_by_role("status")).to_have_text("Pengguna telah dibuat.")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("apoteker.budi")
    assert await signs_in(base, "apoteker.budi", FIRST_PASSWORD)
    await fits_the_screen(page)
    await screenshot(page, "user-created")

    await page.get_by_label("Kata sandi baru").fill(SECOND_PASSWORD)
    await page.get_by_role("button", name="Atur ulang kata sandi").click()
    await expect(page.get_by_role("status")).to_contain_text("Kata sandi telah diatur ulang")
    assert await signs_in(base, "apoteker.budi", SECOND_PASSWORD)
    assert not await signs_in(base, "apoteker.budi", FIRST_PASSWORD)

    await page.get_by_role("button", name="Nonaktifkan akun").click()
    await expect(page.get_by_role("status")).to_contain_text("Akun dinonaktifkan")
    await expect(page.get_by_role("button", name="Aktifkan kembali akun")).to_be_visible()
    assert not await signs_in(base, "apoteker.budi", SECOND_PASSWORD)
    await fits_the_screen(page)
    await screenshot(page, "user-deactivated")

    await page.get_by_role("link", name="Kunci API", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kunci API")
    await page.locator("#f-consignee_code").fill("PBF-JKT-001")
    await page.get_by_role("button", name="Buat kunci").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kunci API dibuat")
    key = await page.locator("#key").input_value()
    assert key.startswith("rk_")
    assert await key_works(base, key) == 200
    await fits_the_screen(page)
    await screenshot(page, "key-shown-once")

    await page.get_by_role("link", name="Kembali ke kunci API").click()
    await expect(page.get_by_text(key)).to_have_count(0)
    await fits_the_screen(page)
    await screenshot(page, "keys")
    await page.get_by_role("link", name="Cabut kunci #").click()
    await expect(page.get_by_text("Cabut kunci ini?")).to_be_visible()
    await fits_the_screen(page)
    await screenshot(page, "revoke-confirmation")
    assert await key_works(base, key) == 200  # nothing happens before the confirmation
    await page.get_by_role("button", name="Cabut kunci").click()
    await expect(page.get_by_role("status")).to_contain_text("Kunci telah dicabut")
    await expect(page.locator("table").get_by_text("Dicabut", exact=True)).to_be_visible()
    assert await key_works(base, key) == 401
    await fits_the_screen(page)
    await screenshot(page, "key-revoked")


async def test_an_admin_manages_users_and_keys_on_a_desktop(live_server, desktop, screenshot):
    await admin_journey(desktop, live_server, screenshot)


async def test_an_admin_manages_users_and_keys_on_a_phone(live_server, phone, screenshot):
    await admin_journey(phone, live_server, screenshot)


async def test_a_person_changes_its_own_password(live_server, phone, screenshot):
    user = await make_user("inspector")
    await sign_in(phone, live_server, user.username, "id")
    await phone.get_by_role("link", name="Kata sandi", exact=True).click()
    await expect(phone.get_by_role("heading", level=1)).to_have_text("Ubah kata sandi Anda")
    await phone.get_by_label("Kata sandi saat ini").fill("correct horse battery staple")
    await phone.get_by_label("Kata sandi baru").fill(FIRST_PASSWORD)
    await phone.get_by_role("button", name="Ubah kata sandi").click()
    await expect(phone.get_by_role("status")).to_contain_text("Kata sandi Anda telah diubah")
    await fits_the_screen(phone)
    await screenshot(phone, "password-changed")
    assert await signs_in(live_server, user.username, FIRST_PASSWORD)

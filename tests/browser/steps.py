"""Steps every browser journey takes: signing in through the form, and checking that a
page fits the window it is shown in."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.factories import PASSWORD

# The sign-in form's texts: username, password, sign in, sign out.
SIGN_IN = {
    "en": ("Username", "Password", "Sign in", "Sign out"),
    "id": ("Nama pengguna", "Kata sandi", "Masuk", "Keluar"),
}

# The first few elements reaching past the window's right edge, to say what overflows.
PAST_THE_EDGE = """width => [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > width).slice(0, 5)
    .map(e => `${e.tagName.toLowerCase()}.${e.className}`)"""


async def sign_in(page: Page, base: str, username: str, language: str = "en") -> None:
    """Choose the language, then sign in through the login form."""
    name, password, button, sign_out = SIGN_IN[language]
    await page.goto(f"{base}/language/{language}?next=/login")
    await page.get_by_label(name).fill(username)
    await page.get_by_label(password).fill(PASSWORD)
    await page.get_by_role("button", name=button, exact=True).click()
    await expect(page.get_by_role("button", name=sign_out)).to_be_visible()


async def fits_the_screen(page: Page) -> None:
    """No horizontal scrolling: fail naming the first elements that reach past the edge."""
    # Measured before the stylesheet applies, the page is wider than it will be.
    await page.wait_for_load_state("load")
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    window = page.viewport_size["width"]
    if width > window:
        wide = await page.evaluate(PAST_THE_EDGE, window)
        raise AssertionError(f"page is {width}px wide: {wide}")


def field(page: Page, what: str, batch_no: str):
    """The input labelled e.g. "Quantity on hand, batch B000123" (the label ends with the batch)."""
    return page.get_by_label(re.compile(rf"{what}, batch {re.escape(batch_no)}$"))


async def submit(page: Page, form: str) -> None:
    """Press *Submit* in the form headed `form` (each answer has its own form and button)."""
    await page.get_by_role("form", name=form).get_by_role("button", name="Submit").click()

"""Indonesian by default, English from the browser's language or one click away."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.pages.helpers import sign_in
from web.i18n import CATALOGUES, accepted_language, catalogue_files


async def test_indonesian_is_the_default(client):
    response = await client.get("/login")
    assert '<html lang="id">' in response.text
    assert '<label for="username">Nama pengguna</label>' in response.text
    assert '<label for="password">Kata sandi</label>' in response.text
    assert ">Masuk</button>" in response.text


async def test_the_browser_language_is_followed(client):
    response = await client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in response.text
    assert ">Sign in</button>" in response.text


async def test_the_language_link_sets_a_cookie_that_wins(client):
    response = await client.get("/language/en", params={"next": "/login"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    cookie = next(c for c in response.headers.get_list("set-cookie") if "recall_lang=" in c)
    assert "httponly" in cookie.lower()

    page = await client.get("/login", headers={"Accept-Language": "id"})
    assert ">Sign in</button>" in page.text
    assert 'href="/language/id?next=/login"' in page.text

    await client.get("/language/id")
    assert ">Masuk</button>" in (await client.get("/login")).text


async def test_an_unknown_language_changes_nothing(client):
    response = await client.get("/language/fr", params={"next": "https://evil.example"})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "recall_lang" not in response.headers.get("set-cookie", "")


async def test_home_page_in_both_languages(client):
    user = await make_user("qa_manager")
    await sign_in(client, user.username)
    indonesian = await client.get("/")
    assert "Manajer QA" in indonesian.text and "Keluar" in indonesian.text
    english = await client.get("/", headers={"Accept-Language": "en"})
    assert "QA manager" in english.text and "Sign out" in english.text
    assert f"Welcome, {user.full_name}" in english.text


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, id;q=0.8, en;q=0.5", "id"),
        ("en;q=0, id", "id"),
        ("de, fr", None),
        ("", None),
        ("en;q=nonsense, id;q=0.3", "id"),
    ],
)
def test_accept_language_is_ranked_by_quality(header, language):
    assert accepted_language(header) == language


def _indonesian() -> dict[str, str]:
    from babel.messages.pofile import read_po

    texts: dict[str, str] = {}
    for path in catalogue_files("id"):
        with path.open("rb") as po:
            for message in read_po(po, locale="id"):
                if message.id:
                    texts[str(message.id)] = str(message.string)
    return texts


def test_every_indonesian_text_is_translated():
    untranslated = [text for text, translated in _indonesian().items() if not translated]
    assert untranslated == []


def test_every_text_marked_in_the_pages_is_in_the_indonesian_catalogues():
    """A text marked with _() or N_() but missing from the catalogues would show in English."""
    from babel.messages.extract import extract_from_dir

    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    keywords = {"_": None, "gettext": None, "N_": None}
    web = CATALOGUES.parent
    marked = {
        message if isinstance(message, str) else message[0]
        for _filename, _line, message, _comments, _context in extract_from_dir(
            web, method_map=method_map, keywords=keywords
        )
    }
    assert len(marked) > 20
    missing = sorted(marked - set(_indonesian()))
    assert missing == []

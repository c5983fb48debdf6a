"""Indonesian and English texts from the Babel catalogues kept in web/translations."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from litestar.connection import ASGIConnection
from markupsafe import Markup

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LANGUAGE_COOKIE = "recall_lang"
CATALOGUES = Path(__file__).parent / "translations"


def catalogue_files(language: str) -> list[Path]:
    """The .po files of `language`: messages.po for the common texts, one per area of the site."""
    return sorted((CATALOGUES / language / "LC_MESSAGES").glob("*.po"))


@cache
def translations(language: str) -> Translations:
    """The catalogues of `language`, compiled in memory from their .po files (no build step)."""
    merged: Translations | None = None
    for path in catalogue_files(language):
        with path.open("rb") as po:
            catalog = read_po(po, locale=language)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        part = Translations(fp=compiled)
        if merged is None:
            merged = part
        else:
            merged.merge(part)
    return merged or Translations()


def _quality(part: str) -> tuple[str, float]:
    tag, _, parameters = part.strip().partition(";")
    quality = 1.0
    name, _, value = parameters.strip().partition("=")
    if name.strip() == "q":
        try:
            quality = float(value)
        except ValueError:
            quality = 0.0
    return tag.strip().lower(), quality


def accepted_language(header: str) -> str | None:
    """The best of LANGUAGES in an Accept-Language header, or None when it names none."""
    ranked = sorted((_quality(part) for part in header.split(",")[:20]), key=lambda p: -p[1])
    for tag, quality in ranked:
        primary = tag.split("-")[0]
        if quality > 0 and primary in LANGUAGES:
            return primary
    return None


def language_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The chosen language (cookie), else the browser's, else Indonesian."""
    chosen = connection.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return accepted_language(connection.headers.get("accept-language", "")) or DEFAULT_LANGUAGE


def _escaped(context: Context, text: str, values: dict[str, Any]) -> str:
    # As jinja2.ext's newstyle gettext: values are escaped, then put into the translated text.
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the catalogues are ours, the values get escaped
    return text % values


def _gettext(catalogue: Translations) -> Callable[..., str]:
    @pass_context
    def gettext(context: Context, message: str, **values: Any) -> str:
        return _escaped(context, catalogue.gettext(message), values)

    return gettext


def _ngettext(catalogue: Translations) -> Callable[..., str]:
    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, **values: Any) -> str:
        values.setdefault("num", num)
        return _escaped(context, catalogue.ngettext(singular, plural, num), values)

    return ngettext


def template_texts(language: str) -> dict[str, Any]:
    """What a page template needs to speak `language`: gettext, ngettext and the language."""
    catalogue = translations(language)
    return {
        "lang": language,
        "gettext": _gettext(catalogue),
        "ngettext": _ngettext(catalogue),
    }

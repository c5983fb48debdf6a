"""Rendering a page: the template, the reader's language, and the headers every page sends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.response import Redirect, Template

from recall.actors import Actor, Role
from web.i18n import LANGUAGES, language_of, template_texts, translations

# Pages show a signed-in person's records: not cached, not framed, no third-party content.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def N_(message: str) -> str:
    """Mark `message` for the catalogues without translating it yet."""
    return message


# The bar's links: (path, text, roles that see it). A page's path starting with one marks it.
NAVIGATION = [
    ("/complaints", N_("Complaints"), {Role.CS, Role.QA, Role.QA_MANAGER, Role.INSPECTOR}),
    ("/investigations", N_("Investigations"), {Role.QA, Role.QA_MANAGER, Role.INSPECTOR}),
    ("/recalls", N_("Recalls"), {Role.QA, Role.QA_MANAGER, Role.INSPECTOR, Role.ADMIN}),
    ("/trends", N_("Trends"), {Role.QA, Role.QA_MANAGER, Role.INSPECTOR}),
    ("/masterdata", N_("Master data"), {Role.QA, Role.ADMIN}),
    ("/audit", N_("Audit trail"), {Role.QA, Role.QA_MANAGER, Role.INSPECTOR, Role.ADMIN}),
    ("/notices", N_("Your recall notices"), {Role.DISTRIBUTOR}),
    ("/admin", N_("Administration"), {Role.ADMIN}),
]


def navigation(actor: Actor | None, here: str) -> list[dict[str, Any]]:
    """The bar's links `actor` may follow, the current section marked."""
    if actor is None:
        return []
    return [
        {"path": path, "text": text, "current": here == path or here.startswith(path + "/")}
        for path, text, roles in NAVIGATION
        if actor.has(*roles)
    ]


def see_other(path: str, **query: str) -> Redirect:
    """The page at `path` after a form was sent (303, so a reload does not send it again)."""
    return Redirect(path, query_params=query or None, status_code=303, headers=HEADERS)


def gettext_for(request: Request[Any, Any, Any]) -> Callable[[str], str]:
    """The reader's gettext, for texts made in Python (errors, flashes)."""
    return translations(language_of(request)).gettext


def local_time(moment: datetime | None, zone: str) -> str:
    """A UTC moment as the reader's clock shows it, with the zone named."""
    if moment is None:
        return ""
    return f"{moment.astimezone(ZoneInfo(zone)):%d-%m-%Y %H:%M} ({zone})"


def page(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Template:
    """`pages/<template>` in the reader's language, with who is signed in and where they are."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Template(
        template_name=f"pages/{template}",
        context={
            **template_texts(language_of(request)),
            "languages": LANGUAGES,
            "here": here,
            "actor": request.scope.get("user"),
            "navigation": navigation(request.scope.get("user"), request.url.path),
            **(context or {}),
        },
        status_code=status_code,
        headers=HEADERS,
        media_type="text/html",
    )

"""The consignee portal: the page behind the link in every notice, answered without a login.

The notice's page (web._notice_page) and its forms (web._notice_forms) are shared with the
signed-in distributor's pages (web.pages.notices): the same template part, the same form
readers, the same use cases.
The portal speaks Indonesian and English side by side, as it cannot know its reader.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from jinja2 import pass_context
from jinja2.runtime import Context
from litestar import Controller, Request, Response, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template
from markupsafe import Markup, escape

from recall import notices
from recall.errors import Conflict, NotFound
from recall.notices import PortalLink
from web._notice_forms import answer
from web._notice_page import notice_context, repeated_scans
from web.i18n import translations
from web.queue import kick

# The token is the only credential: keep it out of caches, referrers and search engines.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}

Token = Annotated[str, PathParameter(description="The notice's portal token")]
Done = Annotated[str | None, QueryParameter(description="The form just saved")]
Duplicates = Annotated[str | None, QueryParameter(description="Repeated scans not counted")]


# Two languages side by side ---------------------------------------------------------------


def both(message: str, **values: Any) -> str:
    """`message` in Indonesian, then in English (once when they are the same)."""
    indonesian = translations("id").gettext(message)
    if values:
        indonesian, message = indonesian % values, message % values
    return message if indonesian == message else f"{indonesian} / {message}"


def _side_by_side(context: Context, indonesian: str, english: str, values: dict[str, Any]) -> Any:
    # As web.i18n's gettext: the values are escaped, then put into the catalogue's text.
    values = {key: escape(value) for key, value in values.items()}
    indonesian, english = Markup(indonesian) % values, Markup(english) % values  # noqa: S704
    if indonesian == english:
        return english
    return Markup('{} <span class="en" lang="en">/ {}</span>').format(indonesian, english)


def bilingual_texts() -> dict[str, Any]:
    """Template gettext/ngettext giving each text in Indonesian and English."""
    catalogue = translations("id")

    @pass_context
    def gettext(context: Context, message: str, **values: Any) -> Any:
        return _side_by_side(context, catalogue.gettext(message), message, values)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, **values: Any) -> Any:
        values.setdefault("num", num)
        english = singular if num == 1 else plural
        return _side_by_side(context, catalogue.ngettext(singular, plural, num), english, values)

    return {"lang": "id", "gettext": gettext, "ngettext": ngettext}


# The portal's own pages -------------------------------------------------------------------


class LinkExpired(Exception):
    """The recall behind the link is closed."""


def _page(template: str, context: dict[str, Any], status_code: int = 200) -> Template:
    return Template(
        template_name=f"portal/{template}",
        context={**bilingual_texts(), **context},
        status_code=status_code,
        headers=HEADERS,
        media_type="text/html",
    )


def _message(status_code: int, title: str, text: str) -> Template:
    return _page("message.html", {"title": title, "text": text}, status_code)


def _not_found(_: Request[Any, Any, Any], __: NotFound) -> Response[Any]:
    return _message(
        404,
        "Tautan tidak dikenal / Unknown link",
        "Periksa kembali tautan dari pemberitahuan penarikan. / "
        "Check the link in the recall notice again.",
    )


def _expired(_: Request[Any, Any, Any], __: LinkExpired) -> Response[Any]:
    return _message(
        410,
        "Tautan sudah tidak berlaku / This link has expired",
        "Penarikan ini sudah ditutup; tidak ada lagi yang perlu dilaporkan melalui halaman ini. "
        "/ This recall is closed; nothing more can be reported on this page.",
    )


def _conflict(_: Request[Any, Any, Any], exc: Conflict) -> Response[Any]:
    return _message(
        409,
        "Belum tersimpan / Not saved",
        "Data berubah pada saat yang sama; kembali ke halaman dan kirim lagi. / "
        f"The notice changed meanwhile; go back and send again. ({exc.detail})",
    )


async def _open(token: str) -> PortalLink:
    link = await notices.notice_by_token(token)
    if link.expired:
        raise LinkExpired
    return link


async def _notice_page(
    link: PortalLink, token: str, *, status_code: int = 200, **shown: Any
) -> Template:
    context = await notice_context(link.actor, link.notice_id, both, **shown)
    context.update(
        consignee_name=link.consignee_name,
        consignee_code=link.consignee_code,
        notice_url=f"/portal/notices/{token}",
        hidden=Markup('<input type="hidden" name="form_key" value="{}">').format(
            context["form_key"]
        ),
    )
    return _page("notice.html", context, status_code)


async def _submit(request: Request[Any, Any, Any], token: str, which: str) -> Response[Any]:
    """Run a form as the consignee; back to the page (303), or the page with the error (422)."""
    link = await _open(token)
    notice_page = partial(_notice_page, link, token)
    url = f"/portal/notices/{token}"
    return await answer(request, link.actor, link.notice_id, which, notice_page, url, HEADERS)


class PortalController(Controller):
    path = "/portal/notices"
    include_in_schema = False
    exception_handlers = {NotFound: _not_found, LinkExpired: _expired, Conflict: _conflict}

    @get("/{token:str}")
    async def show(
        self, token: Token, done: Done = None, duplicates: Duplicates = None
    ) -> Template:
        link = await _open(token)
        return await _notice_page(link, token, done=done, duplicates=repeated_scans(duplicates))

    @post("/{token:str}/acknowledge", status_code=303)
    async def acknowledge(self, request: Request[Any, Any, Any], token: Token) -> Response[Any]:
        return await _submit(request, token, "acknowledge")

    @post("/{token:str}/stock", status_code=303)
    async def report_stock(self, request: Request[Any, Any, Any], token: Token) -> Response[Any]:
        return await _submit(request, token, "stock")

    @post("/{token:str}/returns", status_code=303)
    async def record_returns(self, request: Request[Any, Any, Any], token: Token) -> Response[Any]:
        return await _submit(request, token, "returns")

    @post("/{token:str}/customers", status_code=303, after_response=kick)
    async def name_customers(self, request: Request[Any, Any, Any], token: Token) -> Response[Any]:
        return await _submit(request, token, "customers")

"""Server-rendered pages: signed in through a browser session, protected against CSRF."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import PermissionDeniedException, ValidationException
from litestar.response import Redirect

from recall.errors import Forbidden, NotFound
from web.pages import (
    account,
    admin,
    admin_keys,
    attachments,
    audit,
    complaints,
    investigations,
    masterdata,
    notices,
    proposals,
    recalls,
    trends,
)
from web.pages.auth import choose_language, login_form, sign_in, sign_out
from web.pages.home import home
from web.pages.render import HEADERS, gettext_for, page
from web.pages.session import (
    NO_SESSION_PATHS,
    SESSION_STORE,
    SignInRequired,
    secure_cookies,
    session_config,
    sign_in_url,
    signed_in,
)

CSRF_FAILED = "CSRF token verification failed"


def csrf_config(secret_key: str) -> CSRFConfig:
    """A token in every page form, checked against an HttpOnly cookie; APIs are exempt."""
    return CSRFConfig(
        secret=secret_key,
        cookie_name="recall_csrf",
        cookie_httponly=True,
        cookie_samesite="lax",
        exclude=[*NO_SESSION_PATHS, "^/static/"],
    )


def _sign_in_first(request: Request[Any, Any, Any], _: SignInRequired) -> Response[Any]:
    return Redirect(sign_in_url(request), status_code=303, headers=HEADERS)


def _refused(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _ = gettext_for(request)
    if isinstance(exc, PermissionDeniedException) and exc.detail == CSRF_FAILED:
        title = _("This form has expired")
        text = _(
            "The form was not sent from a page of Recall, or it is too old. "
            "Go back, reload the page and send it again."
        )
    else:
        title = _("Not allowed")
        text = _("Your roles do not allow this page.")
    return page(request, "message.html", {"title": title, "text": text}, status_code=403)


def _bad_address(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    _ = gettext_for(request)
    problems = exc.extra if isinstance(exc.extra, list) else []
    names = sorted({str(p.get("key")) for p in problems if isinstance(p, dict) and p.get("key")})
    title = _("This address is not valid")
    text = _("Check the value of: %(fields)s.") % {"fields": ", ".join(names) or "?"}
    return page(request, "message.html", {"title": title, "text": text}, status_code=400)


def _not_found(request: Request[Any, Any, Any], _exc: NotFound) -> Response[Any]:
    _ = gettext_for(request)
    title, text = _("Not found"), _("This record does not exist, or you may not see it.")
    return page(request, "message.html", {"title": title, "text": text}, status_code=404)


PAGES = Router(
    path="/",
    route_handlers=[
        home,
        login_form,
        sign_in,
        sign_out,
        choose_language,
        *complaints.ROUTES,
        *trends.ROUTES,
        *investigations.ROUTES,
        *proposals.ROUTES,
        *recalls.ROUTES,
        *masterdata.ROUTES,
        *audit.ROUTES,
        *notices.ROUTES,
        *admin.ROUTES,
        *admin_keys.ROUTES,
        *account.ROUTES,
        *attachments.ROUTES,
    ],
    include_in_schema=False,
    exception_handlers={
        SignInRequired: _sign_in_first,
        PermissionDeniedException: _refused,
        Forbidden: _refused,
        NotFound: _not_found,
        ValidationException: _bad_address,
    },
)

__all__ = [
    "PAGES",
    "SESSION_STORE",
    "csrf_config",
    "secure_cookies",
    "session_config",
    "signed_in",
]

"""Signing in and out of the pages, and choosing their language."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from recall import auth
from recall.errors import NotAuthenticated, TooManyAttempts
from recall.settings import get_settings
from web.i18n import LANGUAGE_COOKIE, LANGUAGES
from web.pages.render import HEADERS, gettext_for, page
from web.pages.session import begin_session, local_path
from web.sign_in_throttle import throttled_login

Next = Annotated[str | None, QueryParameter(description="Where to go after signing in")]
Language = Annotated[str, PathParameter(description="id or en")]
MAX_FIELD = 500
YEAR_SECONDS = 365 * 24 * 3600


def _login_page(
    request: Request[Any, Any, Any],
    next_path: str | None,
    *,
    username: str = "",
    error: str | None = None,
    status_code: int = 401,
) -> Template:
    return page(
        request,
        "login.html",
        {"next": local_path(next_path), "username": username, "error": error},
        status_code=status_code if error else 200,
    )


@get("/login", include_in_schema=False)
async def login_form(request: Request[Any, Any, Any], next: Next = None) -> Template:
    return _login_page(request, next)


@post("/login", include_in_schema=False, status_code=303)
async def sign_in(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    username = str(form.get("username", ""))[:MAX_FIELD]
    password = str(form.get("password", ""))[:MAX_FIELD]
    next_path = local_path(str(form.get("next", "/")))
    _ = gettext_for(request)
    try:
        token, _user = await throttled_login(request, username, password)
    except TooManyAttempts as exc:
        error = _("Too many sign-in attempts. Try again in a minute.")
        blocked = _login_page(request, next_path, username=username, error=error, status_code=429)
        blocked.set_header("Retry-After", str(exc.retry_after))
        return blocked
    except NotAuthenticated:
        error = _("The username or password is wrong.")
        return _login_page(request, next_path, username=username, error=error)
    await begin_session(request, token)
    return Redirect(next_path, status_code=303, headers=HEADERS)


@post("/logout", include_in_schema=False, status_code=303)
async def sign_out(request: Request[Any, Any, Any]) -> Response[Any]:
    session = request.scope.get("session")
    token = session.get("token") if isinstance(session, dict) else None
    if isinstance(token, str):
        with contextlib.suppress(NotAuthenticated):  # an old token: the session ends anyway
            await auth.end_token(token, get_settings().secret_key)
    request.clear_session()
    return Redirect("/login", status_code=303, headers=HEADERS)


@get("/language/{language:str}", include_in_schema=False, status_code=303)
async def choose_language(language: Language, next: Next = None) -> Response[Any]:
    cookies = []
    if language in LANGUAGES:
        cookies.append(
            Cookie(
                key=LANGUAGE_COOKIE,
                value=language,
                max_age=YEAR_SECONDS,
                httponly=True,
                samesite="lax",
            )
        )
    return Redirect(local_path(next), status_code=303, headers=HEADERS, cookies=cookies)

"""Signing in and out of the pages, and choosing their language."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from recall import auth
from recall.errors import NotAuthenticated
from recall.settings import get_settings
from web.i18n import LANGUAGE_COOKIE, LANGUAGES
from web.pages.render import HEADERS, gettext_for, page
from web.pages.session import begin_session, local_path

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
) -> Template:
    return page(
        request,
        "login.html",
        {"next": local_path(next_path), "username": username, "error": error},
        status_code=401 if error else 200,
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
    settings = get_settings()
    try:
        token, _ = await auth.login(
            username, password, settings.secret_key, settings.token_ttl_minutes
        )
    except NotAuthenticated:
        _ = gettext_for(request)
        error = _("The username or password is wrong.")
        return _login_page(request, next_path, username=username, error=error)
    await begin_session(request, token)
    return Redirect(next_path, status_code=303, headers=HEADERS)


@post("/logout", include_in_schema=False, status_code=303)
async def sign_out(request: Request[Any, Any, Any]) -> Response[Any]:
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

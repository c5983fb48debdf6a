"""Every route demands a signed-in identity, except the few that are public by design."""

import re

import pytest

from web.app import create_app
from web.security import PAGE_PATHS, PUBLIC_PATHS

APP = create_app()
PUBLIC = [re.compile(pattern) for pattern in PUBLIC_PATHS]
PAGE = [re.compile(pattern) for pattern in PAGE_PATHS]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


PROTECTED = sorted(
    {
        (method, concrete(route.path))
        for route in APP.routes
        for method in getattr(route, "methods", ())
        if method not in {"OPTIONS", "HEAD"} and not any(p.match(route.path) for p in PUBLIC + PAGE)
    }
)
PAGES = sorted(
    {
        (method, concrete(route.path))
        for route in APP.routes
        for method in getattr(route, "methods", ())
        if method not in {"OPTIONS", "HEAD"}
        and any(p.match(route.path) for p in PAGE)
        and not any(p.match(route.path) for p in PUBLIC)
    }
)
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


def test_every_protected_route_has_a_role_guard():
    unguarded = []
    for route in APP.routes:
        if any(p.match(route.path) for p in PUBLIC):
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.http_methods == {"OPTIONS"}:
                continue  # Litestar's automatic CORS pre-flight answer
            if not handler.resolve_guards():
                unguarded.append(f"{route.path} {handler.http_methods}")
    assert unguarded == []


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_protected_route_without_token_is_401(client, method, path):
    response = await client.request(method, path)
    assert response.status_code == 401
    assert response.json()["status_code"] == 401


def test_pages_are_never_under_the_api():
    assert PAGES
    assert not [path for _, path in PAGES if path.startswith("/api/")]


@pytest.mark.parametrize(("method", "path"), PAGES)
async def test_page_without_session_sends_to_sign_in(client, method, path):
    form = await client.get("/login")
    token = CSRF_FIELD.search(form.text)[1]
    response = await client.request(method, path, headers={"x-csrftoken": token})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    "header", ["Bearer nonsense", "Bearer rk_abc_def", "Basic dXNlcjpwYXNz", ""]
)
async def test_bad_credentials_are_401(client, header):
    response = await client.get("/api/audit", headers={"Authorization": header})
    assert response.status_code == 401


@pytest.mark.parametrize("path", sorted({path for _, path in PROTECTED}))
async def test_options_names_the_methods_and_never_fails(client, path):
    response = await client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"]

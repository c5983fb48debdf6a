"""Bearer authentication (user tokens and consignee API keys) and role guards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
    DefineMiddleware,
)

from recall import auth
from recall.actors import Actor, Role
from recall.errors import NotAuthenticated
from recall.settings import get_settings

# Paths answered without a bearer token; everything else requires one.
PUBLIC_PATHS = [
    "^/health$",
    "^/ready$",
    "^/metrics$",
    "^/schema",
    "^/api/auth/login$",
    "^/portal/",
    "^/static/",
    "^/login$",
    "^/logout$",
    "^/language/",
]
# Pages, signed in through the browser session (web.pages.signed_in), not a token: add new ones.
PAGE_PATHS = [
    "^/$",
    "^/complaints(/|$)",
    "^/trends(/|$)",
    "^/investigations(/|$)",
    "^/recalls(/|$)",
    "^/masterdata(/|$)",
    "^/audit(/|$)",
    "^/notices(/|$)",
    "^/admin(/|$)",
    "^/account(/|$)",
]


class BearerAuthentication(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("sign in first: send Authorization: Bearer <token>")
        try:
            actor = await auth.actor_for_token(token.strip(), get_settings().secret_key)
        except NotAuthenticated as exc:
            raise NotAuthorizedException(exc.detail) from None
        return AuthenticationResult(user=actor, auth=token)


authentication = DefineMiddleware(BearerAuthentication, exclude=[*PUBLIC_PATHS, *PAGE_PATHS])

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def requires(*roles: Role) -> Guard:
    """A guard letting through only actors holding one of `roles`."""
    names = ", ".join(sorted(role.value for role in roles))

    # A coroutine: Litestar runs a plain function guard in a thread, on every request.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if connection.scope.get("method") == "OPTIONS":
            return  # Litestar's automatic answer naming the allowed methods; no data in it
        actor = connection.scope.get("user")
        if not isinstance(actor, Actor) or not actor.has(*roles):
            raise PermissionDeniedException(f"requires one of the roles: {names}")

    guard.__name__ = f"requires_{'_or_'.join(sorted(role.value for role in roles))}"
    return guard


# Who may do what, in one place.
READ_ALL = requires(Role.CS, Role.QA, Role.QA_MANAGER, Role.INSPECTOR, Role.ADMIN)
QUALITY_READ = requires(Role.QA, Role.QA_MANAGER, Role.INSPECTOR, Role.ADMIN)
MASTER_DATA_WRITE = requires(Role.QA, Role.ADMIN)
COMPLAINT_INTAKE = requires(Role.CS, Role.QA)
ADMIN_ONLY = requires(Role.ADMIN)
QA_ONLY = requires(Role.QA)
QA_MANAGER_ONLY = requires(Role.QA_MANAGER)
# What QA staff record of the work (reports sent to authorities, warnings published).
QA_STAFF = requires(Role.QA, Role.QA_MANAGER)
DISTRIBUTOR_ONLY = requires(Role.DISTRIBUTOR)
# Anyone signed in, whatever the role (signing out, changing one's own password).
ANY_ROLE = requires(*Role)

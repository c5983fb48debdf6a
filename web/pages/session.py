"""Browser sessions: where they are kept, who they belong to, and the pages' guard."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import ASGIApp, Empty, Message, Receive, Scope, ScopeSession, Send

from recall import auth
from recall.actors import Actor
from recall.errors import NotAuthenticated
from recall.settings import get_settings

SESSION_COOKIE = "recall_session"
SESSION_STORE = "sessions"
# Set by sign-in: the session gets a new id, so an id planted before sign-in is worthless.
_RENEW = "recall.renew_session"
_NEW_ID = "recall.new_session_id"
# Paths that never use a browser session or a CSRF token.
NO_SESSION_PATHS = ["^/api/", "^/portal/", "^/health$", "^/ready$", "^/metrics$", "^/schema"]


class SignInRequired(Exception):
    """A page was asked for without a valid session."""


class _RenewingBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        state = connection.scope.setdefault("state", {})
        if not state.get(_RENEW):
            return super().get_session_id(connection)
        if _NEW_ID not in state:
            state[_NEW_ID] = self.generate_session_id()
        return str(state[_NEW_ID])

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        # Visitors who never signed in get no session (and no entry in the store).
        if scope_session is Empty or not scope_session:
            if not connection.cookies.get(self.config.key):
                return
            scope_session = Empty
        await super().store_in_message(scope_session, message, connection)


class _SessionConfig(ServerSideSessionConfig):
    _backend_class = _RenewingBackend


def session_config(ttl_minutes: int) -> ServerSideSessionConfig:
    """HttpOnly, SameSite=Lax cookies naming a session kept in the `sessions` store."""
    return _SessionConfig(
        key=SESSION_COOKIE,
        store=SESSION_STORE,
        max_age=ttl_minutes * 60,
        httponly=True,
        samesite="lax",
        exclude=NO_SESSION_PATHS,
    )


async def begin_session(connection: ASGIConnection[Any, Any, Any, Any], token: str) -> None:
    """Remember a signed-in user's token in a fresh session; the previous one is dropped."""
    previous = connection.cookies.get(SESSION_COOKIE)
    if previous:
        await connection.app.stores.get(SESSION_STORE).delete(previous)
    connection.scope.setdefault("state", {})[_RENEW] = True
    connection.set_session({"token": token})


async def session_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor | None:
    """The signed-in person behind the session, or None (no session, expired, disabled)."""
    session = connection.scope.get("session")
    token = session.get("token") if isinstance(session, dict) else None
    if not isinstance(token, str):
        return None
    try:
        return await auth.actor_for_token(token, get_settings().secret_key)
    except NotAuthenticated:
        return None


async def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of every page: the session's person becomes `request.user`, else sign in first."""
    actor = await session_actor(connection)
    if actor is None:
        raise SignInRequired
    connection.scope["user"] = actor


def local_path(target: str | None) -> str:
    """`target` when it is a path on this site, else the home page (no open redirects)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(character) < 32 for character in target)
    ):
        return "/"
    return target


def sign_in_url(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """/login, coming back to the page asked for afterwards."""
    here = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
    return "/login" if here == "/" else f"/login?{urlencode({'next': here})}"


def _is_secure(cookie: bytes) -> bool:
    return any(part.strip().lower() == b"secure" for part in cookie.split(b";")[1:])


def secure_cookies(app: ASGIApp) -> ASGIApp:
    """Mark every cookie Secure when the request came over HTTPS."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await app(scope, receive, send)
            return

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (name, value + b"; Secure")
                    if name.lower() == b"set-cookie" and not _is_secure(value)
                    else (name, value)
                    for name, value in message.get("headers", [])
                ]
            await send(message)

        await app(scope, receive, send_secure)

    return middleware

"""Prometheus metrics, for an admin's bearer token or the scraper's `RECALL_METRICS_TOKEN`."""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusController

from recall import auth
from recall.actors import Role
from recall.errors import NotAuthenticated
from recall.settings import get_settings

REFUSED = "metrics need an admin token or the metrics token: Authorization: Bearer <token>"


async def metrics_reader(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Let through the metrics token (compared in constant time) or an admin's token."""
    scheme, _sep, token = connection.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException(REFUSED)
    settings = get_settings()
    expected = settings.metrics_token
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return
    try:
        actor = await auth.actor_for_token(token, settings.secret_key)
    except NotAuthenticated:
        raise NotAuthorizedException(REFUSED) from None
    if not actor.has(Role.ADMIN):
        raise NotAuthorizedException(REFUSED)


class Metrics(PrometheusController):
    guards = [metrics_reader]

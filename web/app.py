"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Litestar, Request
from litestar.config.compression import CompressionConfig
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.template.config import TemplateConfig

from recall import db
from recall.settings import Settings, get_settings
from web.api import ROUTE_HANDLERS
from web.errors import EXCEPTION_HANDLERS
from web.portal import PortalController
from web.queue import job_queue
from web.security import authentication

TEMPLATES = Path(__file__).parent / "templates"


def templates() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja2 over web/templates, escaping every value it renders."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
    )
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def _is_login(request: Request) -> bool:
    return request.url.path == "/api/auth/login"


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the web application; resources are opened in the lifespan."""
    settings = settings or get_settings()
    settings.check()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.connect()
        app.state.redis = job_queue(settings.redis_url)
        try:
            yield
        finally:
            await app.state.redis.aclose()
            await db.disconnect()

    prometheus = PrometheusConfig(app_name="recall", prefix="recall", group_path=True)
    login_limit = RateLimitConfig(
        rate_limit=("minute", settings.login_attempts_per_minute),
        check_throttle_handler=_is_login,
    )
    return Litestar(
        route_handlers=[*ROUTE_HANDLERS, PortalController, PrometheusController],
        template_config=templates(),
        lifespan=[lifespan],
        middleware=[login_limit.middleware, prometheus.middleware, authentication],
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=settings.max_body_bytes,
        compression_config=CompressionConfig(backend="gzip", minimum_size=2048),
        openapi_config=OpenAPIConfig(
            title="Recall",
            version="1",
            description="Complaints, investigations and product recalls (CPOB/BPOM, FDA, EU GMP).",
            path="/schema",
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
            security=[{"bearer": []}],
        ),
        debug=False,
    )

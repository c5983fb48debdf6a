"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.prometheus import PrometheusConfig
from litestar.static_files import create_static_files_router
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig
from redis.asyncio import Redis

from recall import db
from recall.settings import Settings, get_settings
from web.api import ROUTE_HANDLERS
from web.bad_input import InputGuard
from web.errors import EXCEPTION_HANDLERS
from web.metrics import Metrics
from web.observability import RequestContext, safe_default
from web.openapi import document_errors
from web.pages import PAGES, SESSION_STORE, csrf_config, secure_cookies, session_config
from web.portal import PortalController
from web.queue import job_queue
from web.security import authentication
from web.sign_in_throttle import SIGN_IN_STORE, SignInAttempts

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def templates() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja2 over web/templates, escaping every value it renders.

    Pages pass the reader's `gettext` in their context (web.pages.render), so one
    environment serves requests in different languages at the same time.
    """
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    environment.newstyle_gettext = True  # type: ignore[attr-defined]
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the web application; resources are opened in the lifespan."""
    settings = settings or get_settings()
    settings.check()
    safe_default()  # no-op under `recall serve`, which set up logging already

    # Sessions live in Redis so that any web process can serve any signed-in browser.
    sessions = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.connect()
        app.state.redis = job_queue(settings.redis_url)
        try:
            yield
        finally:
            await app.state.redis.aclose()
            await sessions.aclose()
            await db.disconnect()

    prometheus = PrometheusConfig(app_name="recall", prefix="recall", group_path=True)
    static = create_static_files_router(
        path="/static", directories=[STATIC], include_in_schema=False
    )
    app = Litestar(
        route_handlers=[*ROUTE_HANDLERS, PortalController, PAGES, static, Metrics],
        template_config=templates(),
        lifespan=[lifespan],
        stores={
            SESSION_STORE: RedisStore(sessions, namespace="recall:sessions"),
            # Sign-in attempts are counted in Redis, so every web process sees the same counts.
            SIGN_IN_STORE: SignInAttempts(
                sessions, settings.login_attempts_per_minute, settings.trusted_proxies
            ),
        },
        csrf_config=csrf_config(settings.secret_key),
        middleware=[
            InputGuard(settings.max_body_bytes),
            DefineMiddleware(secure_cookies),
            session_config(settings.token_ttl_minutes).middleware,
            prometheus.middleware,
            authentication,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=settings.max_body_bytes,
        compression_config=CompressionConfig(backend="gzip", minimum_size=2048),
        openapi_config=OpenAPIConfig(
            title="Recall",
            version="1",
            description="Complaints, investigations and product recalls (CPOB/BPOM, FDA, EU GMP).",
            path="/schema",
            # The JSON document only: the HTML viewers load their scripts from CDNs.
            render_plugins=[JsonRenderPlugin()],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
            security=[{"bearer": []}],
        ),
        debug=False,
        # Logging is set up once per process (web.observability), not by the app; the
        # exception handlers log errors, tracebacks without local variables.
        logging_config=None,
    )
    document_errors(app.openapi_schema)
    # Outermost: request id, security headers and the access line cover every answer.
    app.asgi_handler = RequestContext(app.asgi_handler)
    return app

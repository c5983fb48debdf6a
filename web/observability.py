"""Logs as JSON lines with a request id, nothing secret in them; the headers every answer carries.

`configure_logging` is called once per process (`recall serve`, `recall worker`). Every line,
whether from structlog or the standard `logging` module (uvicorn, arq, piccolo), goes
through the same processors: request id from contextvars, redaction, JSON.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:  # the worker sets up its logging here too: no Litestar in its memory
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

# Keys whose values never reach a log line, wherever they appear in an event.
SENSITIVE_KEYS = frozenset(
    {
        "password",
        "current_password",
        "new_password",
        "token",
        "authorization",
        "cookie",
        "set-cookie",
        "api_key",
        "secret",
        "webhook_secret",
        "key",
        "session",
        "session_id",
        "body",
        "headers",
    }
)
REDACTED = "<redacted>"
# Credentials that can hide inside text (a path, an exception message).
_PORTAL_TOKEN = re.compile(r"(/portal/notices/)[^/?#\s\"']+")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_QUERY_SECRET = re.compile(r"(?i)\b(password|token|secret|api_key|key|session)=[^&\s\"']+")
_URL_PASSWORD = re.compile(r"(\w+://[^/\s:@]*:)[^/\s@]+@")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
REQUEST_ID_HEADER = "x-request-id"

# Standard logging: silent where logging is not configured (tests), JSON where it is.
access_log = logging.getLogger("recall.access")


def scrub(text: str) -> str:
    """`text` with portal tokens, bearer credentials and secret query values cut out."""
    text = _PORTAL_TOKEN.sub(rf"\1{REDACTED}", text)
    text = _BEARER.sub(rf"\1 {REDACTED}", text)
    text = _URL_PASSWORD.sub(rf"\1{REDACTED}@", text)
    return _QUERY_SECRET.sub(rf"\1={REDACTED}", text)


def _clean(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if depth > 4:
        return value
    if isinstance(value, dict):
        return {
            k: REDACTED if str(k).lower() in SENSITIVE_KEYS else _clean(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_clean(v, depth + 1) for v in value]
    return value


def redact(_: Any, __: str, event: structlog.typing.EventDict) -> structlog.typing.EventDict:
    """A structlog processor: sensitive keys blanked, credentials cut from every text."""
    event.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
    cleaned: dict[str, Any] = _clean(dict(event))
    return cleaned


def configure_logging(level: str = "info") -> None:
    """JSON lines on stderr for structlog and standard logging alike; no locals in tracebacks."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # A plain traceback text: frames and source lines, never local variables.
            structlog.processors.format_exc_info,
            redact,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "arq", "litestar"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Not a line per webhook POST (thousands in a fan-out): deliveries are recorded anyway.
    for name in ("piccolo", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def safe_default() -> None:
    """Where `configure_logging` was not called (an app run by hand, tests), structlog's own
    default would print rich tracebacks with local variables: JSON without them instead."""
    if not structlog.is_configured():
        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.format_exc_info,
                redact,
                structlog.processors.JSONRenderer(),
            ],
            logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


def _security_headers(scope: Scope, headers: list[tuple[bytes, bytes]]) -> None:
    """no-store and nosniff on every answer but static files; HSTS over HTTPS."""
    path: str = scope.get("path", "")
    names = {name.lower() for name, _ in headers}
    if not path.startswith("/static/"):
        headers[:] = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
        headers.append((b"cache-control", b"no-store"))
    if b"x-content-type-options" not in names:
        headers.append((b"x-content-type-options", b"nosniff"))
    if scope.get("scheme") == "https" and b"strict-transport-security" not in names:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))


class RequestContext:
    """Outermost ASGI layer: a request id bound to every log line of the request and echoed
    in `X-Request-ID`, the security headers, and one access-log line without secrets."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        status = [500]
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", request_id.encode()))
                _security_headers(scope, headers)
                message["headers"] = headers
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_headers)
            finally:
                client = scope.get("client")
                if access_log.isEnabledFor(logging.INFO):
                    access_log.info(
                        "request",
                        extra={
                            "method": scope.get("method"),
                            "path": scrub(scope.get("path", "")),  # never the query string
                            "status": status[0],
                            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                            "client": client[0] if client else None,
                        },
                    )

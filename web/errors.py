"""The one place where domain errors become HTTP answers `{"status_code", "detail"}`."""

from __future__ import annotations

import re
from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from recall import db
from recall.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    RateLimited,
    RecallError,
    TooLarge,
    TooManyAttempts,
    Unavailable,
)
from web.pages.errors import error_page

log = structlog.get_logger(__name__)

STATUS_OF: dict[type[RecallError], int] = {
    InvalidInput: 422,
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    RateLimited: 429,
    Unavailable: 503,
}


# Paths answered in JSON; every other path is a page (or the portal) and gets the error page.
JSON_PATHS = ("/api/", "/schema", "/metrics", "/health", "/ready")


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(JSON_PATHS)


def error_response(
    status_code: int, detail: str, request: Request | None = None, **extra: object
) -> Response[Any]:
    """`{"status_code", "detail", ...}` for the API; the HTML error page for a page's request."""
    if request is not None and is_page(request):
        field = extra.get("field")
        return error_page(request, status_code, field if isinstance(field, str) else None)
    body: dict[str, object] = {"status_code": status_code, "detail": detail, **extra}
    return Response(body, status_code=status_code, media_type=MediaType.JSON)


def _log_refusal(status_code: int, detail: str) -> None:
    """Refused sign-ins, roles and throttling are worth a line (the request id ties it up)."""
    if status_code in (401, 403, 429):
        log.info("refused", status=status_code, reason=detail)


def recall_error(request: Request, exc: RecallError) -> Response[Any]:
    status = next((code for kind, code in STATUS_OF.items() if isinstance(exc, kind)), 400)
    extra = {"field": exc.field} if exc.field else {}
    _log_refusal(status, exc.detail)
    response = error_response(status, exc.detail, request, **extra)
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


MISSING_FIELD = re.compile(r"Object missing required field `([^`]+)`")


def _field_of(problem: dict[str, object]) -> str:
    """The body field a validation problem is about, as a dotted path (`reporter.kind`)."""
    key, message = str(problem.get("key") or "data"), str(problem.get("message", ""))
    missing = MISSING_FIELD.match(message)
    if missing:
        return missing[1] if key == "data" else f"{key}.{missing[1]}"
    return "body" if key == "data" else key


def validation_error(request: Request, exc: ValidationException) -> Response[Any]:
    """msgspec/Litestar validation: put the offending field in `detail`."""
    problems = [
        p for p in (exc.extra if isinstance(exc.extra, list) else []) if isinstance(p, dict)
    ]
    if not problems:
        return error_response(400, exc.detail, request)
    field = _field_of(problems[0])
    message = problems[0].get("message", "invalid")
    return error_response(400, f"{field}: {message}", request, field=field, errors=problems)


def http_error(request: Request, exc: HTTPException) -> Response[Any]:
    extra = {"extra": exc.extra} if exc.extra else {}
    _log_refusal(exc.status_code, exc.detail)
    response = error_response(exc.status_code, exc.detail, request, **extra)
    response.headers.update(exc.headers or {})  # e.g. Retry-After, WWW-Authenticate
    return response


def unexpected_error(request: Request, exc: Exception) -> Response[Any]:
    # The traceback is logged without local variables (web.observability); no body, no headers.
    log.exception("unhandled error", method=request.method, error_type=type(exc).__name__)
    return error_response(
        HTTP_500_INTERNAL_SERVER_ERROR, "internal error; it has been logged", request
    )


def database_unavailable(request: Request, exc: Exception) -> Response[Any]:
    log.warning("database unavailable", error=repr(exc))
    return error_response(503, "database unavailable; try again shortly", request)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    RecallError: recall_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    ConnectionError: database_unavailable,
    OSError: database_unavailable,
    **dict.fromkeys(db.CONNECTION_LOST, database_unavailable),
    Exception: unexpected_error,
}

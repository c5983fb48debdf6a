"""The one place where domain errors become HTTP answers `{"status_code", "detail"}`."""

from __future__ import annotations

import re

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


def error_response(status_code: int, detail: str, **extra: object) -> Response[dict[str, object]]:
    body: dict[str, object] = {"status_code": status_code, "detail": detail, **extra}
    return Response(body, status_code=status_code, media_type=MediaType.JSON)


def recall_error(_: Request, exc: RecallError) -> Response[dict[str, object]]:
    status = next((code for kind, code in STATUS_OF.items() if isinstance(exc, kind)), 400)
    extra = {"field": exc.field} if exc.field else {}
    response = error_response(status, exc.detail, **extra)
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


def validation_error(_: Request, exc: ValidationException) -> Response[dict[str, object]]:
    """msgspec/Litestar validation: put the offending field in `detail`."""
    problems = [
        p for p in (exc.extra if isinstance(exc.extra, list) else []) if isinstance(p, dict)
    ]
    if not problems:
        return error_response(400, exc.detail)
    field = _field_of(problems[0])
    message = problems[0].get("message", "invalid")
    return error_response(400, f"{field}: {message}", field=field, errors=problems)


def http_error(_: Request, exc: HTTPException) -> Response[dict[str, object]]:
    return error_response(
        exc.status_code, exc.detail, **({"extra": exc.extra} if exc.extra else {})
    )


def unexpected_error(request: Request, exc: Exception) -> Response[dict[str, object]]:
    log.exception("unhandled error", path=request.url.path, error=repr(exc))
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, "internal error; it has been logged")


def database_unavailable(request: Request, exc: Exception) -> Response[dict[str, object]]:
    log.warning("database unavailable", path=request.url.path, error=repr(exc))
    return error_response(503, "database unavailable; try again shortly")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    RecallError: recall_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    ConnectionError: database_unavailable,
    OSError: database_unavailable,
    **dict.fromkeys(db.CONNECTION_LOST, database_unavailable),
    Exception: unexpected_error,
}

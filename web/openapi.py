"""The schema's error answers: every status code a route can give is documented.

Routes declare their success answer; the errors follow from a route's shape (signed in or
public, path ids, parameters, a body, a change), so they are added here in one place
rather than repeated on 68 handlers.
"""

from __future__ import annotations

from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    PathItem,
    Reference,
    Schema,
)

PUBLIC_OPERATIONS = {("POST", "/api/auth/login")}
# Prometheus scrapes its text format, not JSON.
TEXT_ANSWERS = {"/metrics"}
CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
REASONS = {
    400: "The request is malformed: a parameter or body field has the wrong type or shape",
    401: "Not signed in, or the token or API key is invalid or expired",
    403: "The caller's roles do not allow this",
    404: "No such record, or not visible to the caller",
    409: "The record's state or a concurrent change refuses it",
    413: "The body is larger than allowed",
    422: "A value breaks a rule; `field` names it",
    429: "Too many attempts; try again later",
    503: "The database or Redis cannot be reached; try again",
}
ERROR = Schema(
    type=OpenAPIType.OBJECT,
    required=["status_code", "detail"],
    properties={
        "status_code": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "field": Schema(type=OpenAPIType.STRING, description="The field at fault (dotted path)"),
        "errors": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT)),
        "extra": Schema(),
    },
    description="An error answer",
)


def error_codes(method: str, path: str, operation: Operation) -> set[int]:
    """The error statuses a route can answer with, from its shape."""
    if not path.startswith("/api/"):
        return {503} if path == "/ready" else {401} if path in TEXT_ANSWERS else set()
    codes = {503}
    public = (method, path) in PUBLIC_OPERATIONS
    codes |= {401, 429} if public else {401, 403}
    if "{" in path:
        codes.add(404)
    if operation.parameters or operation.request_body:
        codes |= {400, 422}
    if operation.request_body:
        codes.add(413)
    if method in CHANGES:
        # 429: a signer locked out after wrong signature passwords (any signed change).
        codes |= {400, 422} if public else {400, 409, 422, 429}
    return codes


def _operations(item: PathItem) -> list[tuple[str, Operation]]:
    methods = ("get", "put", "post", "delete", "patch")
    return [(m.upper(), op) for m in methods if (op := getattr(item, m, None)) is not None]


def document_errors(schema: OpenAPI) -> None:
    """Add the error answers of every operation, all in the one `Error` shape."""
    components = schema.components if isinstance(schema.components, Components) else Components()
    components.schemas = {**(components.schemas or {}), "Error": ERROR}
    schema.components = components
    answer = OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Error"))
    for path, item in (schema.paths or {}).items():
        for method, operation in _operations(item):
            if path in TEXT_ANSWERS and operation.responses and "200" in operation.responses:
                ok = operation.responses["200"]
                if isinstance(ok, OpenAPIResponse):
                    text = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
                    ok.content = {"text/plain": text}
            if (method, path) in PUBLIC_OPERATIONS:
                operation.security = []
            responses = operation.responses or {}
            for code in sorted(error_codes(method, path, operation)):
                responses.setdefault(
                    str(code),
                    OpenAPIResponse(
                        description=REASONS[code], content={"application/json": answer}
                    ),
                )
            operation.responses = responses

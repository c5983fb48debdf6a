"""The error page: what a person sees when a page or the portal cannot answer as asked."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request, Response

from web.pages.render import N_, gettext_for, page

# (title, text) per status; other statuses fall back to their class (4xx, 5xx).
TEXTS = {
    400: (N_("This request is not valid"), N_("Check what you entered and try again.")),
    401: (N_("Sign in first"), N_("Your session has ended. Sign in again.")),
    403: (N_("Not allowed"), N_("Your roles do not allow this page.")),
    404: (N_("Not found"), N_("This record does not exist, or you may not see it.")),
    405: (N_("This request is not valid"), N_("Check what you entered and try again.")),
    409: (
        N_("This cannot be done now"),
        N_("The record has changed or its state does not allow this. Reload the page."),
    ),
    413: (N_("Too large"), N_("What you sent is larger than allowed.")),
    429: (N_("Too many attempts"), N_("Wait a minute and try again.")),
    503: (N_("Not available"), N_("The database cannot be reached. Try again shortly.")),
    500: (
        N_("Something went wrong"),
        N_("The error has been logged. Try again later, or give your administrator this number:"),
    ),
}
FIELD_TEXT = N_("Check the value of: %(fields)s.")


def error_page(
    request: Request[Any, Any, Any], status_code: int, field: str | None = None
) -> Response[Any]:
    """The site's error page for `status_code`, in the reader's language."""
    _ = gettext_for(request)
    fallback = 500 if status_code >= 500 else 400
    title, text = TEXTS.get(status_code, TEXTS[fallback])
    context: dict[str, Any] = {"title": _(title), "text": _(text)}
    if field and status_code in (400, 422):
        context["text"] = _(FIELD_TEXT) % {"fields": field}
    if status_code >= 500:
        request_id = structlog.contextvars.get_contextvars().get("request_id", "")
        context["text"] = f"{context['text']} {request_id}".strip()
    return page(request, "message.html", context, status_code=status_code)

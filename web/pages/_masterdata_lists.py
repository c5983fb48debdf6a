"""What every master data list shares: its guards and parameters, the search box, the pager,
and reading every page of a list for its download."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from litestar import Request
from litestar.params import Parameter
from litestar.response import Template

from recall.actors import Actor
from recall.masterdata import ConsigneeKind
from web.pages.forms import FormState
from web.pages.render import page
from web.pages.session import signed_in
from web.security import MASTER_DATA_WRITE

T = TypeVar("T")
PAGE_SIZE = 50
EXPORT_PAGE = 1000
# Lists offered in a form's choices (a datalist or a select); beyond that, type the value.
CHOICES_MAX = 500

Offset = Annotated[int, Parameter(ge=0, le=2**31 - 1)]
Search = Annotated[str | None, Parameter(required=False, max_length=100)]
Kind = Annotated[ConsigneeKind | None, Parameter(required=False)]
Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
GUARDS = [signed_in, MASTER_DATA_WRITE]


def search_text(q: str | None) -> str:
    return " ".join((q or "").split())


def list_page(
    request: Request[Actor, Any, Any],
    template: str,
    found: tuple[list[Any], int],
    q: str,
    offset: int,
    form: FormState | None,
    *,
    status_code: int,
    query: dict[str, str] | None = None,
    **shown: Any,
) -> Template:
    """A list with its search box, its pager (kept `query` values too) and the form that adds a
    record; `shown` is what else the template needs."""
    rows, total = found
    kept = {"q": q, **(query or {})}
    return page(
        request,
        f"masterdata/{template}",
        {
            "rows": rows,
            "total": total,
            "q": q,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "query": "".join(f"&{urlencode({k: v})}" for k, v in kept.items() if v),
            "form": form or FormState(),
            **shown,
        },
        status_code=status_code,
    )


async def searched_page(
    request: Request[Actor, Any, Any],
    template: str,
    listing: Callable[..., Awaitable[tuple[list[Any], int]]],
    q: str | None,
    offset: int,
    form: FormState | None,
    *,
    status_code: int = 200,
    conflict: str | None = None,
    **shown: Any,
) -> Template:
    """The page of `listing(PAGE_SIZE, offset, q=...)` for the search `q`, shown by list_page."""
    q = search_text(q)
    found = await listing(PAGE_SIZE, offset, q=q)
    return list_page(
        request,
        template,
        found,
        q,
        offset,
        form,
        status_code=status_code,
        conflict=conflict,
        **shown,
    )


async def every_row(fetch: Callable[[int, int], Awaitable[tuple[list[T], int]]]) -> list[T]:
    """Every row of a list, read a page at a time."""
    found: list[T] = []
    while True:
        chunk, total = await fetch(EXPORT_PAGE, len(found))
        found += chunk
        if not chunk or len(found) >= total:
            return found

"""What every complaint page shows alike: coded values as words, dates, the product choice."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request
from litestar.params import Parameter

from recall import masterdata
from web.pages.labels import (
    CHANNEL_NAMES,
    COMPLAINT_ACTION_NAMES,
    COMPLAINT_CATEGORY_NAMES,
    COMPLAINT_STATUS_NAMES,
    OBLIGATION_KIND_NAMES,
    OPEN_OBLIGATION_NAMES,
    REPORTER_KIND_NAMES,
    SEVERITY_NAMES,
    SUBMISSION_CHANNEL_NAMES,
    translated,
)
from web.pages.render import gettext_for

PRODUCTS_SHOWN = 1000

Text = Annotated[str | None, Parameter(max_length=200, required=False)]


def names(request: Request[Any, Any, Any]) -> dict[str, dict[str, str]]:
    """The reader's words for every coded value a complaint holds."""
    _ = gettext_for(request)

    return {
        "status": translated(_, COMPLAINT_STATUS_NAMES),
        "channel": translated(_, CHANNEL_NAMES),
        "reporter_kind": translated(_, REPORTER_KIND_NAMES),
        "category": translated(_, COMPLAINT_CATEGORY_NAMES),
        "severity": translated(_, SEVERITY_NAMES),
        "action": translated(_, COMPLAINT_ACTION_NAMES),
        "obligation": translated(_, OBLIGATION_KIND_NAMES),
        "submission_channel": translated(_, SUBMISSION_CHANNEL_NAMES),
        "open_obligation": translated(_, OPEN_OBLIGATION_NAMES),
    }


def local_date(day: date | None) -> str:
    return f"{day:%d-%m-%Y}" if day else ""


async def _product_options() -> list[tuple[str, str]]:
    products, _total = await masterdata.list_products(PRODUCTS_SHOWN)
    return [(p.gtin, f"{p.name} {p.strength} · {p.gtin}") for p in products]

"""The notice's page, for the portal and the signed-in distributor alike: what it shows.

The same template part serves both; only the words around it and the reader differ.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from recall import clock, notices
from recall.actors import Actor
from recall.settings import get_settings
from web.pages.forms import FormState
from web.pages.labels import CONSIGNEE_KIND_NAMES
from web.pages.render import N_, local_time

# What a form just saved, keyed by the `done` query value after the redirect.
DONE = {
    "acknowledged": N_("Thank you, your acknowledgement is recorded."),
    "stock": N_("Your stock report is saved."),
    "returns": N_("Your returns are recorded."),
    "customers": N_("Your customers are recorded; each one gets its own notice."),
}
ROW_FIELD = re.compile(r"(lines|consignees)\[(\d+)\]")
# Blank customer rows the naming form offers; more are named by sending it again.
CUSTOMER_ROWS = 5
CUSTOMER_FIELDS = (
    "code", "name", "kind", "batch_no", "quantity", "country", "email", "webhook_url",
)  # fmt: skip
# A row counts as filled when one of these is typed in (kind and batch are chosen from lists).
TYPED_FIELDS = ("code", "name", "quantity", "country", "email", "webhook_url")
CUSTOMERS_SHOWN = 200
# Rows one form may carry; long lists go through the API.
MAX_CUSTOMER_ROWS = 50


@dataclass(frozen=True)
class Saved:
    """What a form changed: query values for the page after it, and customers just named."""

    query: dict[str, str] = field(default_factory=dict)
    named: tuple[dict[str, Any], ...] = ()


def local(moment: datetime | None) -> str:
    """A moment on the plant's clock ("" for none)."""
    return local_time(moment, get_settings().time_zone)


def is_overdue(notice: notices.ConsigneeNotice) -> bool:
    """Not answered, and the recall's deadline for this notice's tier has passed."""
    return notices.is_overdue(notice.responded_at, notice.respond_by, clock.now())


async def notice_context(
    actor: Actor,
    notice_id: int,
    translate: Callable[[str], str],
    *,
    done: str | None = None,
    form: FormState | None = None,
    duplicates: int = 0,
    named: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """What the notice template part shows; `translate` puts domain errors in the reader's words."""
    notice = await notices.get_own_notice(actor, notice_id)
    customers, customers_total = await notices.list_sub_consignees(
        actor, notice_id, limit=CUSTOMERS_SHOWN
    )
    form = form or FormState()
    return {
        "notice": notice,
        "respond_by": local(notice.respond_by),
        "overdue": is_overdue(notice),
        "acknowledged_at": local(notice.acknowledged_at),
        "done": DONE.get(done or ""),
        "duplicates": duplicates if done == "returns" else 0,
        "error_field": form.error_field,
        "error_text": translate(form.error_text) if form.error_text else None,
        "values": form.values,
        "form_key": secrets.token_urlsafe(16),
        "customers": customers,
        "customers_total": customers_total,
        "customer_rows": _customer_rows(form.values),
        "more_customers": _more_customers(form),
        "kinds": [(kind.value, text) for kind, text in CONSIGNEE_KIND_NAMES.items()],
        "kind_names": {kind.value: text for kind, text in CONSIGNEE_KIND_NAMES.items()},
        "batch_choices": [(line.batch_no, line.batch_no) for line in notice.lines],
        "named": [item for item in named if item.get("webhook_secret")],
        "when": local,
    }


def _customer_rows(values: dict[str, str]) -> int:
    """Blank rows to offer; after an error, enough to show every row sent."""
    sent = [row for name in values if (row := customer_row(name)) is not None]
    return min(MAX_CUSTOMER_ROWS, max(CUSTOMER_ROWS, max(sent, default=-1) + 1))


def customer_row(name: str) -> int | None:
    """The customer row a form field belongs to (None for other fields)."""
    match = ROW_FIELD.match(name)
    return int(match[2]) if match and match[1] == "consignees" else None


def _more_customers(form: FormState) -> bool:
    """Open the further customer rows when one of them was typed in or is in error."""
    typed = [
        name
        for name, value in form.values.items()
        if value.strip() and name.rpartition(".")[2] in TYPED_FIELDS
    ]
    names = [*typed, form.error_field] if form.error_field else typed
    return any((customer_row(name) or 0) > 0 for name in names)


def repeated_scans(duplicates: str | None) -> int:
    """The repeated scans a returns form reported, from the page's query (0 if none or odd)."""
    return int(duplicates) if duplicates and duplicates.isdigit() and len(duplicates) < 7 else 0

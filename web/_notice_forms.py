"""The notice's forms, read and run through their use cases, for the portal and the pages.

A form's rows are numbered as the page shows them; the use case numbers the rows it was
given, so its errors are turned back into the row the reader filled in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect, Template

from recall import notices
from recall.actors import Actor
from recall.errors import InvalidInput
from recall.notices import IdempotencyKey, StoredAnswer
from web._notice_page import (
    CUSTOMER_FIELDS,
    MAX_CUSTOMER_ROWS,
    ROW_FIELD,
    TYPED_FIELDS,
    Saved,
    customer_row,
)
from web.api.notices import SubConsigneesCreate
from web.api.schemas import command
from web.idempotency import fingerprint, request_key
from web.pages.forms import form_action, read
from web.pages.render import N_

MAX_DIGITS = 10
MAX_SCANS = 10_000
MAX_FORM_KEY = 40

NoticeChange = Callable[
    [Actor, int, FormMultiDict, list[int], IdempotencyKey | None], Awaitable[Saved]
]


def _whole_number(text: str, field: str) -> int | None:
    """A form's number: None when blank, InvalidInput naming `field` when not 0 or more."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_DIGITS:
        raise InvalidInput(field, N_("a whole number, 0 or more"))
    return int(text)


def _rows(form: FormMultiDict) -> int:
    """How many batch rows the form carried (hidden `lines[i].batch_no`)."""
    count = 0
    while f"lines[{count}].batch_no" in form and count < 1000:
        count += 1
    return count


def in_form(exc: InvalidInput, rows: list[int]) -> InvalidInput:
    """The use case's error with `lines[k]`/`consignees[k]` turned back into the form row."""
    field = exc.field or ""
    match = ROW_FIELD.match(field)
    if not match or int(match[2]) >= len(rows):
        return exc
    row = rows[int(match[2])]
    renamed = f"{match[1]}[{row}]" + field[match.end() :]
    return InvalidInput(renamed, exc.detail.removeprefix(f"{field}: "))


async def form_key(request: Request[Any, Any, Any], form: FormMultiDict) -> IdempotencyKey | None:
    """Each rendered page carries a fresh key, so a double submit is recorded once.

    The request's fingerprint is part of the key: the same page sent again with other
    values (after going back) is a new request, not a misused key.
    """
    key = str(form.get("form_key", ""))
    if not key or len(key) > MAX_FORM_KEY:
        return None
    sent = await fingerprint(request)
    return request_key(request, f"portal:{key}:{sent}", sent, field="form_key")


async def acknowledge(
    actor: Actor, notice_id: int, _: FormMultiDict, __: list[int], key: IdempotencyKey | None
) -> Saved:
    await notices.acknowledge_notice(actor, notice_id, key)
    return Saved()


async def report_stock(
    actor: Actor,
    notice_id: int,
    form: FormMultiDict,
    rows: list[int],
    key: IdempotencyKey | None,
) -> Saved:
    lines: list[notices.StockLine] = []
    for row in range(_rows(form)):
        at = f"lines[{row}]"
        on_hand = _whole_number(str(form.get(f"{at}.quantity_on_hand", "")),
                                f"{at}.quantity_on_hand")  # fmt: skip
        quarantined = _whole_number(str(form.get(f"{at}.quarantined", "")),
                                    f"{at}.quarantined")  # fmt: skip
        if on_hand is None and quarantined is None:
            continue
        if on_hand is None:
            raise InvalidInput(f"{at}.quantity_on_hand", N_("enter the stock on hand"))
        lines.append(notices.StockLine(str(form.get(f"{at}.batch_no", "")), on_hand,
                                       quarantined or 0))  # fmt: skip
        rows.append(row)
    if not lines:
        raise InvalidInput("lines", N_("report at least one batch"))
    await notices.report_stock(actor, notice_id, notices.StockReport(tuple(lines)), key)
    return Saved()


async def record_returns(
    actor: Actor,
    notice_id: int,
    form: FormMultiDict,
    rows: list[int],
    key: IdempotencyKey | None,
) -> Saved:
    lines: list[notices.ReturnLine] = []
    for row in range(_rows(form)):
        at = f"lines[{row}]"
        quantity = _whole_number(str(form.get(f"{at}.quantity", "")), f"{at}.quantity")
        if quantity:
            lines.append(notices.ReturnLine(str(form.get(f"{at}.batch_no", "")), quantity))
            rows.append(row)
    scans = [line.strip() for line in str(form.get("scans", "")).splitlines()]
    scans = [scan for scan in scans if scan]
    if lines and scans:
        raise InvalidInput("scans", N_("give quantities or scans, not both"))
    if not lines and not scans:
        raise InvalidInput("lines", N_("enter a quantity or scan at least one pack"))
    if len(scans) > MAX_SCANS:
        raise InvalidInput("scans", f"at most {MAX_SCANS} lines at a time")
    returned = notices.StockReturn(tuple(lines) or None, tuple(scans) or None)
    recorded = await notices.record_returns(actor, notice_id, returned, key)
    if isinstance(recorded, StoredAnswer):
        repeated = len(msgspec.json.decode(recorded.body).get("duplicates", []))
    else:
        repeated = len(recorded.duplicates)
    return Saved({"duplicates": str(repeated)} if repeated else {})


async def name_customers(
    actor: Actor,
    notice_id: int,
    form: FormMultiDict,
    rows: list[int],
    key: IdempotencyKey | None,
) -> Saved:
    """The filled rows of the naming form, through the cascade's use case (as the API)."""
    filled: dict[str, str] = {}
    sent = sorted({row for name in form if (row := customer_row(name)) is not None})
    if sent and sent[-1] >= MAX_CUSTOMER_ROWS:
        raise InvalidInput("consignees", f"at most {MAX_CUSTOMER_ROWS} customers at a time")
    for row in sent:
        at = f"consignees[{row}]"
        if any(str(form.get(f"{at}.{name}", "")).strip() for name in TYPED_FIELDS):
            index = len(rows)
            for name in CUSTOMER_FIELDS:
                filled[f"consignees[{index}].{name}"] = str(form.get(f"{at}.{name}", ""))
            rows.append(row)
    if not rows:
        raise InvalidInput("consignees[0].code", N_("name at least one customer"))
    naming = command(notices.SubConsigneeNaming, read(FormMultiDict(filled), SubConsigneesCreate))
    result = await notices.name_sub_consignees(actor, notice_id, naming, key)
    if isinstance(result, StoredAnswer):
        shown = msgspec.json.decode(result.body).get("consignees", [])
    else:
        shown = [asdict(item) for item in result.consignees]
    return Saved(named=tuple(shown))


FORMS: dict[str, tuple[NoticeChange, str]] = {
    "acknowledge": (acknowledge, "acknowledged"),
    "stock": (report_stock, "stock"),
    "returns": (record_returns, "returns"),
    "customers": (name_customers, "customers"),
}


async def run_form(
    change: NoticeChange,
    actor: Actor,
    notice_id: int,
    form: FormMultiDict,
    key: IdempotencyKey | None,
) -> Saved:
    """Run a form's change; an error about `lines[k]` points at the row filled in."""
    rows: list[int] = []
    try:
        return await change(actor, notice_id, form, rows, key)
    except InvalidInput as exc:
        raise in_form(exc, rows) from None


async def answer(
    request: Request[Any, Any, Any],
    actor: Actor,
    notice_id: int,
    which: str,
    notice_page: Callable[..., Awaitable[Template]],
    url: str,
    headers: dict[str, str],
) -> Response[Any]:
    """Run one of the notice's forms as `actor`: back to the notice at `url` (303), or
    `notice_page` with the form and its error (422). A conflict is left to the caller."""
    form = await request.form()
    change, done = FORMS[which]
    key = await form_key(request, form)

    async def answered(saved: Saved) -> Response[Any]:
        if any(item.get("webhook_secret") for item in saved.named):
            # A new customer's webhook secret is shown this once: never in a URL.
            return await notice_page(done=done, named=saved.named)
        query = {"done": done, **saved.query}
        return Redirect(url, query_params=query, status_code=303, headers=headers)

    return await form_action(
        form,
        lambda: run_form(change, actor, notice_id, form, key),
        answered,
        lambda state, **shown: notice_page(form=state, **shown),
        refuses=(InvalidInput,),
    )

"""The consignee portal: the page behind the link in every notice, answered without a login.

The notice's page and its forms are shared with the signed-in distributor's pages
(web.pages.notices): the same template part, the same form readers, the same use cases.
The portal speaks Indonesian and English side by side, as it cannot know its reader.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Annotated, Any

import msgspec
from jinja2 import pass_context
from jinja2.runtime import Context
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from markupsafe import Markup, escape

from recall import clock, notices
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput, NotFound
from recall.notices import IdempotencyKey, PortalLink, StoredAnswer
from recall.settings import get_settings
from web.api.notices import SubConsigneesCreate
from web.api.schemas import command
from web.i18n import translations
from web.idempotency import fingerprint, request_key
from web.pages.forms import read
from web.pages.labels import CONSIGNEE_KIND_NAMES
from web.pages.render import local_time
from web.queue import kick

# The token is the only credential: keep it out of caches, referrers and search engines.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def N_(message: str) -> str:
    """Mark `message` for the catalogues without translating it yet."""
    return message


# What a form just saved, keyed by the `done` query value after the redirect.
DONE = {
    "acknowledged": N_("Thank you, your acknowledgement is recorded."),
    "stock": N_("Your stock report is saved."),
    "returns": N_("Your returns are recorded."),
    "customers": N_("Your customers are recorded; each one gets its own notice."),
}
ROW_FIELD = re.compile(r"(lines|consignees)\[(\d+)\]")
MAX_DIGITS = 10
MAX_SCANS = 10_000
MAX_FORM_KEY = 40
# Blank customer rows the naming form offers; more are named by sending it again.
CUSTOMER_ROWS = 5
CUSTOMER_FIELDS = ("code", "name", "kind", "batch_no", "quantity", "email", "webhook_url")
# A row counts as filled when one of these is typed in (kind and batch are chosen from lists).
TYPED_FIELDS = ("code", "name", "quantity", "email", "webhook_url")
CUSTOMERS_SHOWN = 200
# Rows one form may carry; long lists go through the API.
MAX_CUSTOMER_ROWS = 50

Token = Annotated[str, PathParameter(description="The notice's portal token")]
Done = Annotated[str | None, QueryParameter(description="The form just saved")]
Duplicates = Annotated[str | None, QueryParameter(description="Repeated scans not counted")]


# Two languages side by side ---------------------------------------------------------------


def both(message: str, **values: Any) -> str:
    """`message` in Indonesian, then in English (once when they are the same)."""
    indonesian = translations("id").gettext(message)
    if values:
        indonesian, message = indonesian % values, message % values
    return message if indonesian == message else f"{indonesian} / {message}"


def _side_by_side(context: Context, indonesian: str, english: str, values: dict[str, Any]) -> Any:
    # As web.i18n's gettext: the values are escaped, then put into the catalogue's text.
    values = {key: escape(value) for key, value in values.items()}
    indonesian, english = Markup(indonesian) % values, Markup(english) % values  # noqa: S704
    if indonesian == english:
        return english
    return Markup('{} <span class="en" lang="en">/ {}</span>').format(indonesian, english)


def bilingual_texts() -> dict[str, Any]:
    """Template gettext/ngettext giving each text in Indonesian and English."""
    catalogue = translations("id")

    @pass_context
    def gettext(context: Context, message: str, **values: Any) -> Any:
        return _side_by_side(context, catalogue.gettext(message), message, values)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, **values: Any) -> Any:
        values.setdefault("num", num)
        english = singular if num == 1 else plural
        return _side_by_side(context, catalogue.ngettext(singular, plural, num), english, values)

    return {"lang": "id", "gettext": gettext, "ngettext": ngettext}


# The notice's page, for the portal and the signed-in distributor alike --------------------


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
    error: InvalidInput | None = None,
    values: dict[str, str] | None = None,
    duplicates: int = 0,
    named: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """What the notice template part shows; `translate` puts domain errors in the reader's words."""
    notice = await notices.get_own_notice(actor, notice_id)
    customers, customers_total = await notices.list_sub_consignees(
        actor, notice_id, limit=CUSTOMERS_SHOWN
    )
    error_text = error.detail.removeprefix(f"{error.field}: ") if error else None
    shown = values or {}
    return {
        "notice": notice,
        "respond_by": local(notice.respond_by),
        "overdue": is_overdue(notice),
        "acknowledged_at": local(notice.acknowledged_at),
        "done": DONE.get(done or ""),
        "duplicates": duplicates if done == "returns" else 0,
        "error_field": error.field if error else None,
        "error_text": translate(error_text) if error_text else None,
        "values": shown,
        "form_key": secrets.token_urlsafe(16),
        "customers": customers,
        "customers_total": customers_total,
        "customer_rows": _customer_rows(shown),
        "more_customers": _more_customers(shown, error),
        "kinds": [(kind.value, text) for kind, text in CONSIGNEE_KIND_NAMES.items()],
        "kind_names": {kind.value: text for kind, text in CONSIGNEE_KIND_NAMES.items()},
        "batch_choices": [(line.batch_no, line.batch_no) for line in notice.lines],
        "named": [item for item in named if item.get("webhook_secret")],
        "when": local,
    }


def _customer_rows(values: dict[str, str]) -> int:
    """Blank rows to offer; after an error, enough to show every row sent."""
    sent = [row for name in values if (row := _customer_row(name)) is not None]
    return min(MAX_CUSTOMER_ROWS, max(CUSTOMER_ROWS, max(sent, default=-1) + 1))


def _customer_row(name: str) -> int | None:
    match = ROW_FIELD.match(name)
    return int(match[2]) if match and match[1] == "consignees" else None


def _more_customers(values: dict[str, str], error: InvalidInput | None) -> bool:
    """Open the further customer rows when one of them was typed in or is in error."""
    typed = [
        name
        for name, value in values.items()
        if value.strip() and name.rpartition(".")[2] in TYPED_FIELDS
    ]
    names = [*typed, error.field] if error and error.field else typed
    return any((_customer_row(name) or 0) > 0 for name in names)


# Reading the forms and running their use case ---------------------------------------------

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
    sent = sorted({row for name in form if (row := _customer_row(name)) is not None})
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


def typed_values(form: FormMultiDict) -> dict[str, str]:
    """What was typed, to show again beside an error."""
    return {name: str(value) for name, value in form.items() if not name.startswith("_")}


# The portal's own pages -------------------------------------------------------------------


class LinkExpired(Exception):
    """The recall behind the link is closed."""


def _page(template: str, context: dict[str, Any], status_code: int = 200) -> Template:
    return Template(
        template_name=f"portal/{template}",
        context={**bilingual_texts(), **context},
        status_code=status_code,
        headers=HEADERS,
        media_type="text/html",
    )


def _message(status_code: int, title: str, text: str) -> Template:
    return _page("message.html", {"title": title, "text": text}, status_code)


def _not_found(_: Request[Any, Any, Any], __: NotFound) -> Response[Any]:
    return _message(
        404,
        "Tautan tidak dikenal / Unknown link",
        "Periksa kembali tautan dari pemberitahuan penarikan. / "
        "Check the link in the recall notice again.",
    )


def _expired(_: Request[Any, Any, Any], __: LinkExpired) -> Response[Any]:
    return _message(
        410,
        "Tautan sudah tidak berlaku / This link has expired",
        "Penarikan ini sudah ditutup; tidak ada lagi yang perlu dilaporkan melalui halaman ini. "
        "/ This recall is closed; nothing more can be reported on this page.",
    )


def _conflict(_: Request[Any, Any, Any], exc: Conflict) -> Response[Any]:
    return _message(
        409,
        "Belum tersimpan / Not saved",
        "Data berubah pada saat yang sama; kembali ke halaman dan kirim lagi. / "
        f"The notice changed meanwhile; go back and send again. ({exc.detail})",
    )


async def _open(token: str) -> PortalLink:
    link = await notices.notice_by_token(token)
    if link.expired:
        raise LinkExpired
    return link


async def _notice_page(
    link: PortalLink, token: str, *, status_code: int = 200, **shown: Any
) -> Template:
    context = await notice_context(link.actor, link.notice_id, both, **shown)
    context.update(
        consignee_name=link.consignee_name,
        consignee_code=link.consignee_code,
        notice_url=f"/portal/notices/{token}",
        hidden=Markup('<input type="hidden" name="form_key" value="{}">').format(
            context["form_key"]
        ),
    )
    return _page("notice.html", context, status_code)


async def _submit(request: Request[Any, Any, Any], token: str, which: str) -> Response[Any]:
    """Run a form as the consignee; back to the page (303), or the page with the error (422)."""
    link = await _open(token)
    form = await request.form()
    change, done = FORMS[which]
    key = await form_key(request, form)
    try:
        saved = await run_form(change, link.actor, link.notice_id, form, key)
    except InvalidInput as exc:
        return await _notice_page(
            link, token, error=exc, values=typed_values(form), status_code=422
        )
    if any(item.get("webhook_secret") for item in saved.named):
        # A new customer's webhook secret is shown this once: never in a URL.
        return await _notice_page(link, token, done=done, named=saved.named)
    return Redirect(
        f"/portal/notices/{token}",
        query_params={"done": done, **saved.query},
        status_code=303,
        headers=HEADERS,
    )


def repeated_scans(duplicates: str | None) -> int:
    return int(duplicates) if duplicates and duplicates.isdigit() and len(duplicates) < 7 else 0


class PortalController(Controller):
    path = "/portal/notices"
    include_in_schema = False
    exception_handlers = {NotFound: _not_found, LinkExpired: _expired, Conflict: _conflict}

    @get("/{token:str}")
    async def show(
        self, token: Token, done: Done = None, duplicates: Duplicates = None
    ) -> Template:
        link = await _open(token)
        return await _notice_page(link, token, done=done, duplicates=repeated_scans(duplicates))

    @post("/{token:str}/acknowledge", status_code=303)
    async def acknowledge(self, request: Request[Any, Any, Any], token: Token) -> Response[Any]:
        return await _submit(request, token, "acknowledge")

    @post("/{token:str}/stock", status_code=303)
    async def report_stock(self, request: Request[Any, Any, Any], token: Token) -> Response[Any]:
        return await _submit(request, token, "stock")

    @post("/{token:str}/returns", status_code=303)
    async def record_returns(self, request: Request[Any, Any, Any], token: Token) -> Response[Any]:
        return await _submit(request, token, "returns")

    @post("/{token:str}/customers", status_code=303, after_response=kick)
    async def name_customers(self, request: Request[Any, Any, Any], token: Token) -> Response[Any]:
        return await _submit(request, token, "customers")

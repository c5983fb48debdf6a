"""The consignee portal: the page behind the link in every notice, answered without a login."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from recall import notices
from recall.errors import Conflict, InvalidInput, NotFound
from recall.notices import ConsigneeNotice, IdempotencyKey, PortalLink, idempotency
from recall.settings import get_settings

# The token is the only credential: keep it out of caches, referrers and search engines.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
DONE = {
    "acknowledged": "Terima kasih, konfirmasi penerimaan Anda tercatat. / "
    "Thank you, your acknowledgement is recorded.",
    "stock": "Laporan stok Anda tersimpan. / Your stock report is saved.",
    "returns": "Pengembalian Anda tercatat. / Your returns are recorded.",
}
LINE_FIELD = re.compile(r"lines\[(\d+)\]")
MAX_DIGITS = 10
MAX_SCANS = 10_000
MAX_FORM_KEY = 40


Token = Annotated[str, PathParameter(description="The notice's portal token")]
Done = Annotated[str | None, QueryParameter(description="The form just saved")]
Duplicates = Annotated[str | None, QueryParameter(description="Repeated scans not counted")]


class LinkExpired(Exception):
    """The recall behind the link is closed."""


def _page(template: str, context: dict[str, Any], status_code: int = 200) -> Template:
    return Template(
        template_name=f"portal/{template}",
        context=context,
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


def _local(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    zone = get_settings().time_zone
    return f"{moment.astimezone(ZoneInfo(zone)):%d-%m-%Y %H:%M} ({zone})"


async def _notice_page(
    link: PortalLink,
    token: str,
    *,
    done: str | None = None,
    error: InvalidInput | None = None,
    values: dict[str, str] | None = None,
    duplicates: int = 0,
) -> Template:
    notice: ConsigneeNotice = await notices.get_own_notice(link.actor, link.notice_id)
    context = {
        "notice": notice,
        "link": link,
        "token": token,
        "respond_by": _local(notice.respond_by),
        "acknowledged_at": _local(notice.acknowledged_at),
        "done": DONE.get(done or ""),
        "duplicates": duplicates if done == "returns" else 0,
        "error_field": error.field if error else None,
        "error_text": error.detail.removeprefix(f"{error.field}: ") if error else None,
        "values": values or {},
        "form_key": secrets.token_urlsafe(16),
    }
    return _page("notice.html", context, 422 if error else 200)


def _whole_number(text: str, field: str) -> int | None:
    """A form's number: None when blank, InvalidInput naming `field` when not 0 or more."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_DIGITS:
        raise InvalidInput(
            field, "isi dengan bilangan bulat 0 atau lebih / a whole number, 0 or more"
        )
    return int(text)


def _rows(form: FormMultiDict) -> int:
    """How many batch rows the form carried (hidden `lines[i].batch_no`)."""
    count = 0
    while f"lines[{count}].batch_no" in form and count < 1000:
        count += 1
    return count


def _in_form(exc: InvalidInput, rows: list[int]) -> InvalidInput:
    """The use case's error with `lines[k]` turned back into the form row it came from."""
    field = exc.field or ""
    match = LINE_FIELD.match(field)
    if not match or int(match[1]) >= len(rows):
        return exc
    row = rows[int(match[1])]
    renamed = f"lines[{row}]" + field[match.end() :]
    return InvalidInput(renamed, exc.detail.removeprefix(f"{field}: "))


async def _key(request: Request[Any, Any, Any], form: FormMultiDict) -> IdempotencyKey | None:
    """Each rendered page carries a fresh key, so a double submit is recorded once.

    The request's fingerprint is part of the key: the same page sent again with other
    values (after going back) is a new request, not a misused key.
    """
    form_key = str(form.get("form_key", ""))
    if not form_key or len(form_key) > MAX_FORM_KEY:
        return None
    fingerprint = idempotency.request_hash(request.method, request.url.path, await request.body())
    return IdempotencyKey(f"portal:{form_key}:{fingerprint}", fingerprint)


Change = Callable[[PortalLink, FormMultiDict, list[int]], Awaitable[dict[str, str]]]


async def _submit(
    request: Request[Any, Any, Any], token: str, done: str, change: Change
) -> Response[Any]:
    """Run a form's change as the consignee; back to the page (303), or 422 with the error.

    `change` appends to its list the form row of each line it passes on, so an error about
    `lines[k]` can point at the row the consignee filled in.
    """
    link = await _open(token)
    form = await request.form()
    rows: list[int] = []
    try:
        extra = await change(link, form, rows)
    except InvalidInput as exc:
        values = {name: str(value) for name, value in form.items()}
        return await _notice_page(link, token, error=_in_form(exc, rows), values=values)
    return Redirect(
        f"/portal/notices/{token}",
        query_params={"done": done, **extra},
        status_code=303,
        headers=HEADERS,
    )


class PortalController(Controller):
    path = "/portal/notices"
    include_in_schema = False
    exception_handlers = {NotFound: _not_found, LinkExpired: _expired, Conflict: _conflict}

    @get("/{token:str}")
    async def show(
        self, token: Token, done: Done = None, duplicates: Duplicates = None
    ) -> Template:
        repeated = (
            int(duplicates) if duplicates and duplicates.isdigit() and len(duplicates) < 7 else 0
        )
        return await _notice_page(await _open(token), token, done=done, duplicates=repeated)

    @post("/{token:str}/acknowledge", status_code=303)
    async def acknowledge(self, request: Request[Any, Any, Any], token: Token) -> Response[Any]:
        async def change(link: PortalLink, form: FormMultiDict, _: list[int]) -> dict[str, str]:
            key = await _key(request, form)
            await notices.acknowledge_notice(link.actor, link.notice_id, key)
            return {}

        return await _submit(request, token, "acknowledged", change)

    @post("/{token:str}/stock", status_code=303)
    async def report_stock(self, request: Request[Any, Any, Any], token: Token) -> Response[Any]:
        async def change(link: PortalLink, form: FormMultiDict, rows: list[int]) -> dict[str, str]:
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
                    raise InvalidInput(
                        f"{at}.quantity_on_hand", "isi stok yang ada / enter the stock on hand"
                    )
                batch_no = str(form.get(f"{at}.batch_no", ""))
                lines.append(notices.StockLine(batch_no, on_hand, quarantined or 0))
                rows.append(row)
            if not lines:
                raise InvalidInput(
                    "lines", "isi stok untuk minimal satu batch / report at least one batch"
                )
            key = await _key(request, form)
            await notices.report_stock(link.actor, link.notice_id, lines, key)
            return {}

        return await _submit(request, token, "stock", change)

    @post("/{token:str}/returns", status_code=303)
    async def record_returns(self, request: Request[Any, Any, Any], token: Token) -> Response[Any]:
        async def change(link: PortalLink, form: FormMultiDict, rows: list[int]) -> dict[str, str]:
            lines: list[notices.ReturnLine] = []
            for row in range(_rows(form)):
                at = f"lines[{row}]"
                quantity = _whole_number(str(form.get(f"{at}.quantity", "")), f"{at}.quantity")
                if quantity:
                    batch_no = str(form.get(f"{at}.batch_no", ""))
                    lines.append(notices.ReturnLine(batch_no, quantity))
                    rows.append(row)
            scans = [line.strip() for line in str(form.get("scans", "")).splitlines()]
            scans = [scan for scan in scans if scan]
            if lines and scans:
                raise InvalidInput(
                    "scans",
                    "isi jumlah atau pindaian, tidak keduanya / give quantities or scans, not both",
                )
            if not lines and not scans:
                raise InvalidInput(
                    "lines",
                    "isi jumlah atau pindai minimal satu kemasan / "
                    "enter a quantity or scan at least one pack",
                )
            if len(scans) > MAX_SCANS:
                raise InvalidInput("scans", f"at most {MAX_SCANS} lines at a time")
            key = await _key(request, form)
            recorded = await notices.record_returns(
                link.actor, link.notice_id, lines or None, scans or None, key
            )
            duplicates = (
                len(recorded.duplicates) if isinstance(recorded, notices.ReturnsRecorded) else 0
            )
            return {"duplicates": str(duplicates)} if duplicates else {}

        return await _submit(request, token, "returns", change)

"""Pages: a shipments CSV file uploaded, imported in the background, watched while it runs.

The upload is stored with an outbox row and a worker imports it (this process starts the
import as its own task when no worker is running); the import writes its progress to the
database, so any web process can show it. The progress page refreshes
itself every two seconds (no JavaScript) until the import is done or has failed, then shows
the count imported or the bad lines (the first 1,000) with their number and column.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import Parameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE

from recall import masterdata
from recall.actors import Actor
from recall.errors import InvalidInput
from recall.masterdata import ImportStatus, LineError, ShipmentImport
from recall.settings import get_settings
from web.exports import worker_running
from web.pages.export import FormatParameter, download
from web.pages.forms import FormState, form_action
from web.pages.labels import IMPORT_COLUMN_NAMES, IMPORT_STATUS_NAMES, label
from web.pages.render import N_, gettext_for, local_time, page, see_other
from web.pages.session import signed_in
from web.queue import kick
from web.security import MASTER_DATA_WRITE

log = logging.getLogger(__name__)

GUARDS = [signed_in, MASTER_DATA_WRITE]
ERRORS_PER_PAGE = 500
RECENT_IMPORTS = 10
REFRESH_SECONDS = 2
# The multipart wrapping around the file (boundaries, headers, the CSRF field).
FORM_OVERHEAD_BYTES = 64 * 1024
Offset = Annotated[int, Parameter(ge=0, le=2**31 - 1)]
Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]

STATES = {ImportStatus.DONE: "ok", ImportStatus.FAILED: "bad", ImportStatus.INTERRUPTED: "bad"}


# Imports running in this process: a reference keeps each task alive until it ends.
_RUNNING: set[asyncio.Task[Any]] = set()


def _start(actor: Actor, import_id: int) -> None:
    task = asyncio.create_task(masterdata.run_shipment_import(actor, import_id))
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)


async def imports_running() -> None:
    """Wait for this process's imports to end (tests; a graceful stop)."""
    while _RUNNING:
        await asyncio.gather(*_RUNNING, return_exceptions=True)


def _described(request: Request[Any, Any, Any], item: ShipmentImport) -> dict[str, Any]:
    _ = gettext_for(request)
    return {
        "item": item,
        "uploaded": local_time(item.uploaded_at, get_settings().time_zone),
        "finished": local_time(item.finished_at, get_settings().time_zone),
        "status_name": _(IMPORT_STATUS_NAMES[item.status]),
        "state": STATES.get(item.status, "warn"),
    }


def import_rows(request: Request[Any, Any, Any], imports: list[ShipmentImport]) -> dict[str, Any]:
    """The recent imports table's rows (shared with the master data overview)."""
    return {"imports": [_described(request, item) for item in imports]}


# The upload ----------------------------------------------------------------------------


async def _upload_page(
    request: Request[Actor, Any, Any],
    form: FormState | None = None,
    *,
    status_code: int = 200,
    earlier: list[ShipmentImport] | None = None,
) -> Template:
    imports, total = await masterdata.list_shipment_imports(RECENT_IMPORTS)
    return page(
        request,
        "masterdata/import.html",
        {
            "form": form or FormState(),
            "earlier": [_described(request, item) for item in earlier or []],
            "max_mib": get_settings().max_import_bytes // (1024 * 1024),
            "imports_total": total,
            **import_rows(request, imports),
        },
        status_code=status_code,
    )


@get("/masterdata/shipments/import", guards=GUARDS, include_in_schema=False)
async def upload_form(request: Request[Actor, Any, Any]) -> Template:
    return await _upload_page(request)


def _too_large(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """A body over the limit is refused before the form is read: say so on a page."""
    _ = gettext_for(request)
    text = _("The file is larger than %(mib)s MiB. Split it into smaller files and upload each.")
    context = {
        "title": _("File too large"),
        "text": text % {"mib": get_settings().max_import_bytes // (1024 * 1024)},
    }
    return page(request, "message.html", context, status_code=exc.status_code)


@post(
    "/masterdata/shipments/import",
    guards=GUARDS,
    include_in_schema=False,
    request_max_body_size=get_settings().max_import_bytes + FORM_OVERHEAD_BYTES,
    exception_handlers={HTTP_413_REQUEST_ENTITY_TOO_LARGE: _too_large},
)
async def upload(request: Request[Actor, Any, Any]) -> Response[Any]:
    """Store the file and start its import; the answer leads to the progress page."""
    _ = gettext_for(request)
    form = await request.form()
    chosen = form.get("file")
    content = b""

    async def store() -> ShipmentImport:
        nonlocal content
        if not isinstance(chosen, UploadFile) or not chosen.filename:
            raise InvalidInput("file", _("choose a CSV file to upload"))
        content = await chosen.read()
        await chosen.close()
        repeat = form.get("again") == "true"
        item = await masterdata.start_shipment_import(
            request.user, chosen.filename, content, again=repeat
        )
        if await worker_running(request.app.state.redis):
            await kick(request)
        else:
            _start(request.user, item.id)
        return item

    def started(item: ShipmentImport) -> Redirect:
        return see_other(f"/masterdata/imports/{item.id}")

    async def again(state: FormState, *, status_code: int, conflict: str | None = None) -> Template:
        if conflict is None:
            return await _upload_page(request, state, status_code=status_code)
        # The same file was imported before: show those imports instead of importing it again.
        earlier = await masterdata.earlier_imports(hashlib.sha256(content).hexdigest())
        return await _upload_page(request, status_code=status_code, earlier=earlier)

    return await form_action(form, store, started, again)


# Progress and result -------------------------------------------------------------------


def _column(request: Request[Any, Any, Any], column: str) -> str:
    return label(gettext_for(request), IMPORT_COLUMN_NAMES, column)


@get("/masterdata/imports/{import_id:int}", guards=GUARDS, include_in_schema=False)
async def import_progress(
    request: Request[Actor, Any, Any], import_id: Id, offset: Offset = 0
) -> Template:
    item = await masterdata.get_shipment_import(import_id)
    earlier = await masterdata.earlier_imports(item.sha256, before=item.id)
    errors: list[LineError] = []
    errors_listed = 0
    if item.status == ImportStatus.FAILED:
        # The import keeps the first MAX_ERRORS bad lines; error_count counts all of them.
        errors, errors_listed = await masterdata.import_errors(item.id, ERRORS_PER_PAGE, offset)
    percent = 0
    if item.lines_total:
        percent = min(100, round(100 * item.lines_checked / item.lines_total))
    return page(
        request,
        "masterdata/progress.html",
        {
            **_described(request, item),
            "refresh": REFRESH_SECONDS if item.running else None,
            "percent": percent,
            "earlier": [_described(request, other) for other in earlier],
            "errors": [
                {"line": e.line, "column": _column(request, e.column), "problem": e.problem}
                for e in errors
            ],
            "error_total": item.error_count,
            "errors_listed": errors_listed,
            "offset": offset,
            "page_size": ERRORS_PER_PAGE,
        },
    )


ERROR_HEADERS = [N_("Line"), N_("Column"), N_("Problem")]


@get("/masterdata/imports/{import_id:int}/errors", guards=GUARDS, include_in_schema=False)
async def export_import_errors(
    request: Request[Actor, Any, Any], import_id: Id, format: FormatParameter
) -> Response[bytes]:
    """The bad lines an import kept (the first MAX_ERRORS), to correct the file in a
    spreadsheet."""
    _ = gettext_for(request)
    item = await masterdata.get_shipment_import(import_id)
    errors, _total = await masterdata.import_errors(item.id, 0)
    rows = ([e.line, _column(request, e.column), e.problem] for e in errors)
    return download(f"import-{item.id}-bad-lines", format, [_(h) for h in ERROR_HEADERS], rows)


ROUTES: list[Any] = [upload_form, upload, import_progress, export_import_errors]

"""Evidence files on the pages of a complaint, investigation, recall or destruction record:
the list with download links and a plain upload form (multipart, no JavaScript).

After an upload the browser goes back to the record's page, which says what happened
(`?attachment=saved|empty|refused|too-large`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import Parameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE
from litestar.types import ExceptionHandlersMap

from recall import evidence, recalls
from recall.actors import Actor, Role
from recall.errors import InvalidInput, NotFound, TooLarge
from recall.settings import get_settings
from web.api.attachments import FORM_OVERHEAD_BYTES, download
from web.pages.render import HEADERS, N_, gettext_for, local_time
from web.pages.session import signed_in
from web.security import READ_ALL, requires

Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
ATTACH = requires(Role.CS, Role.QA, Role.QA_MANAGER)
NOTICE = "attachment"
# What the record's page says after an upload, by the code in its address.
NOTICES = {
    "saved": ("ok", N_("The file is attached.")),
    "empty": ("error", N_("Not attached: the file is empty. Choose a file and send it again.")),
    "refused": (
        "error",
        N_(
            "Not attached: this kind of file is not kept as evidence. Send a PDF, an image, "
            "an office document, text or CSV, or an e-mail (.eml); programs, scripts, web "
            "pages, SVG and archives are refused."
        ),
    ),
    "too-large": ("error", N_("Not attached: the file is larger than %(mib)s MiB.")),
}
# The types people recognise, by their detected media type.
KIND_NAMES = {
    "application/pdf": "PDF",
    "text/plain": N_("Text"),
    "text/csv": "CSV",
    "message/rfc822": N_("E-mail"),
    "application/msword": "Word",
    "application/vnd.ms-excel": "Excel",
    "application/vnd.ms-powerpoint": "PowerPoint",
    "application/vnd.ms-outlook": "Outlook",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/vnd.oasis.opendocument.text": "OpenDocument",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument",
    evidence.UNKNOWN: N_("Other"),
}
SIZE_UNITS = (N_("bytes"), "KiB", "MiB", "GiB")


@dataclass(frozen=True)
class Record:
    """A record evidence is attached to, and the page that shows it."""

    entity: str
    entity_id: int
    page: str

    @property
    def base(self) -> str:
        if self.entity == "destruction":
            return f"{self.page}/{self.entity_id}"
        return self.page

    @property
    def anchor(self) -> str:
        return f"attachments-{self.entity}-{self.entity_id}"


def size_text(size: int, _: Any) -> str:
    """1 536 bytes as `1.5 KiB`: the unit is always shown."""
    value, unit = float(size), 0
    while value >= 1024 and unit < len(SIZE_UNITS) - 1:
        value, unit = value / 1024, unit + 1
    number = f"{size}" if unit == 0 else f"{value:.1f}"
    return f"{number} {_(SIZE_UNITS[unit])}"


def kind_name(content_type: str, _: Any) -> str:
    if content_type in KIND_NAMES:
        return _(KIND_NAMES[content_type])
    return (
        content_type.partition("/")[2].upper()
        if content_type.startswith("image/")
        else (content_type)
    )


def _page(entity: str, entity_id: int, recall_id: int | None) -> str:
    """The page showing the record: a destruction record's is its recall's destruction records."""
    if entity == "destruction":
        return f"/recalls/{recall_id}/destructions"
    return f"/{entity}s/{entity_id}"


async def attachments_context(
    request: Request[Actor, Any, Any], entity: str, entity_id: int, *, folded: bool = False
) -> dict[str, Any]:
    """What `pages/_attachments.html` shows for the complaint, investigation or recall that
    its page has just read. `folded`: the upload form waits behind a link (`?record=
    attachment`), so a page that reloads itself does not drop a file being chosen."""
    context = (await attachments_contexts(request, entity, [entity_id]))[entity_id]
    if folded:
        context["unfold"] = (
            f"{_page(entity, entity_id, None)}?record=attachment#{context['anchor']}"
        )
    return context


async def attachments_contexts(
    request: Request[Actor, Any, Any],
    entity: str,
    entity_ids: list[int],
    *,
    recall_id: int | None = None,
) -> dict[int, dict[str, Any]]:
    """`attachments_context` of several records by id (destruction records name their recall)."""
    found = await evidence.attachments_of(request.user, entity, entity_ids)
    return {
        entity_id: _context(
            request, Record(entity, entity_id, _page(entity, entity_id, recall_id)), items
        )
        for entity_id, items in found.items()
    }


def _context(
    request: Request[Actor, Any, Any], record: Record, items: list[evidence.Attachment]
) -> dict[str, Any]:
    _ = gettext_for(request)
    zone = get_settings().time_zone
    max_mib = get_settings().attachment_max_mb
    notice = None
    code = request.query_params.get(NOTICE)
    if code in NOTICES and request.query_params.get("of") == record.anchor:
        state, text = NOTICES[code]
        notice = {"state": state, "text": _(text) % {"mib": max_mib} if "%(" in text else _(text)}
    return {
        # A destruction record's files sit inside its entry of the list, a level lower.
        "nested": record.entity == "destruction",
        "anchor": record.anchor,
        "action": f"{record.base}/attachments",
        "can_upload": evidence.may_attach(request.user, record.entity),
        "max_mib": max_mib,
        "notice": notice,
        "unfold": None,
        "items": [
            {
                "filename": item.filename,
                "kind": kind_name(item.content_type, _),
                "content_type": item.content_type,
                "size": size_text(item.size, _),
                "sha256": item.sha256,
                "short_sha256": item.sha256[:12],
                "uploaded_by": item.uploaded_by_name or "—",
                "uploaded_at": local_time(item.uploaded_at, zone),
                "href": f"{record.base}/attachments/{item.id}",
            }
            for item in items
        ],
    }


async def _record(entity: str, entity_id: int, recall_id: int | None = None) -> Record:
    if entity == "destruction":
        destruction = await recalls.get_destruction(entity_id)
        if destruction.recall_id != recall_id:
            raise NotFound(f"destruction {entity_id} not found")
    return Record(entity, entity_id, _page(entity, entity_id, recall_id))


def _back(record: Record, code: str) -> Redirect:
    path = f"{record.page}?{NOTICE}={code}&of={record.anchor}#{record.anchor}"
    return Redirect(path, status_code=303, headers=HEADERS)


async def _upload(request: Request[Actor, Any, Any], record: Record) -> Redirect:
    form = await request.form()
    chosen = form.get("file")
    content, filename = b"", ""
    if isinstance(chosen, UploadFile):
        content, filename = await chosen.read(), chosen.filename
        await chosen.close()
    try:
        await evidence.attach(request.user, record.entity, record.entity_id, filename, content)
    except TooLarge:
        return _back(record, "too-large")
    except InvalidInput as refused:
        if refused.field == "entity_id":
            raise NotFound(refused.detail) from None
        if refused.field != "file":
            raise
        return _back(record, "empty" if not content else "refused")
    return _back(record, "saved")


def _kind(request: Request[Any, Any, Any]) -> str:
    return request.url.path.split("/")[1].removesuffix("s")


def _too_large(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """A body over the limit is refused before the form is read: back to the record's page."""
    params = request.path_params
    if "destruction_id" in params:
        page = _page("destruction", params["destruction_id"], params["recall_id"])
        record = Record("destruction", params["destruction_id"], page)
    else:
        entity = _kind(request)
        record = Record(entity, params["entity_id"], _page(entity, params["entity_id"], None))
    return _back(record, "too-large")


UPLOAD_GUARDS = [signed_in, ATTACH]
DOWNLOAD_GUARDS = [signed_in, READ_ALL]
MAX_BODY = get_settings().attachment_max_bytes + FORM_OVERHEAD_BYTES
TOO_LARGE: ExceptionHandlersMap = {HTTP_413_REQUEST_ENTITY_TOO_LARGE: _too_large}


async def _download(
    request: Request[Actor, Any, Any], record: Record, attachment_id: int
) -> Response[bytes]:
    attachment, content = await evidence.attachment_content(request.user, attachment_id)
    if (attachment.entity, attachment.entity_id) != (record.entity, record.entity_id):
        raise NotFound(f"attachment {attachment_id} not found")
    return download(attachment, content)


# A complaint, investigation or recall: the record's own page, /<kind>s/<id>.
RECORD_PAGES = ["/complaints", "/investigations", "/recalls"]
DESTRUCTION = "/recalls/{recall_id:int}/destructions/{destruction_id:int}/attachments"


@post(
    [f"{page}/{{entity_id:int}}/attachments" for page in RECORD_PAGES],
    guards=UPLOAD_GUARDS,
    request_max_body_size=MAX_BODY,
    exception_handlers=TOO_LARGE,
    include_in_schema=False,
)
async def attach_to_record(request: Request[Actor, Any, Any], entity_id: Id) -> Redirect:
    return await _upload(request, await _record(_kind(request), entity_id))


@post(
    DESTRUCTION,
    guards=UPLOAD_GUARDS,
    request_max_body_size=MAX_BODY,
    exception_handlers=TOO_LARGE,
    include_in_schema=False,
)
async def attach_to_destruction(
    request: Request[Actor, Any, Any], recall_id: Id, destruction_id: Id
) -> Redirect:
    return await _upload(request, await _record("destruction", destruction_id, recall_id))


@get(
    [f"{page}/{{entity_id:int}}/attachments/{{attachment_id:int}}" for page in RECORD_PAGES],
    guards=DOWNLOAD_GUARDS,
    include_in_schema=False,
)
async def record_file(
    request: Request[Actor, Any, Any], entity_id: Id, attachment_id: Id
) -> Response[bytes]:
    return await _download(request, await _record(_kind(request), entity_id), attachment_id)


@get(DESTRUCTION + "/{attachment_id:int}", guards=DOWNLOAD_GUARDS, include_in_schema=False)
async def destruction_file(
    request: Request[Actor, Any, Any], recall_id: Id, destruction_id: Id, attachment_id: Id
) -> Response[bytes]:
    record = await _record("destruction", destruction_id, recall_id)
    return await _download(request, record, attachment_id)


ROUTES: list[Any] = [attach_to_record, attach_to_destruction, record_file, destruction_file]

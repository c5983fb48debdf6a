"""Evidence files: attached to a complaint, investigation, recall or destruction record,
listed per record and downloaded as uploaded. Never changed, never deleted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.params import Body, Parameter, PathParameter

from recall import evidence
from recall.actors import Actor, Role
from recall.settings import get_settings
from web.api.schemas import ErrorRead, Page
from web.security import READ_ALL, requires

# The multipart wrapping around the file: boundaries, part headers, the other fields.
FORM_OVERHEAD_BYTES = 64 * 1024
ATTACH = requires(Role.CS, Role.QA, Role.QA_MANAGER)
AttachmentId = Annotated[int, PathParameter(description="The attachment's id", ge=1, le=2**31 - 1)]
ENTITY_DESCRIPTION = "The kind of record: " + ", ".join(evidence.ENTITIES)
ENTITY_ENUM: dict[str, Any] = {"enum": list(evidence.ENTITIES)}
# A downloaded file is never shown in our origin: a browser saves it, runs nothing in it.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}


@dataclass
class AttachmentUpload:
    """The multipart form of an upload."""

    # Documented as the four kinds; checked by the domain, so another is 422 naming `entity`.
    entity: Annotated[
        str, Body(description=ENTITY_DESCRIPTION, max_length=20, schema_extra=ENTITY_ENUM)
    ]
    entity_id: Annotated[int, Body(description="The record's id", ge=1, le=2**31 - 1)]
    file: UploadFile


def content_disposition(filename: str) -> str:
    """`attachment` with the name in UTF-8 (RFC 6266) and a plain ASCII fallback."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
                       for c in filename)  # fmt: skip
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(attachment: evidence.Attachment, content: bytes) -> Response[bytes]:
    """The file as uploaded, to be saved rather than shown, in its detected type."""
    return Response(
        content,
        media_type=attachment.content_type,
        headers={
            **DOWNLOAD_HEADERS,
            "Content-Disposition": content_disposition(attachment.filename),
        },
    )


UPLOAD_DESCRIPTION = """\
Attach an evidence file to a record (audited with the file's SHA-256). The file's type is
told from its bytes, never from its name or the part's Content-Type: PDF, images (PNG, JPEG,
GIF, TIFF, WebP, BMP, HEIF), MP4/QuickTime video, Word/Excel/PowerPoint and OpenDocument
files, plain text, CSV and e-mail (.eml) are kept; bytes no rule recognises are kept as
`application/octet-stream`. Programs, scripts, web pages, SVG, archives and macro-enabled
documents are refused (422 `file`), as is an empty file. Larger than
RECALL_ATTACHMENT_MAX_MB MiB (default 25): 413. A record that does not exist: 422
`entity_id`. Complaints take files from cs and qa; investigations, recalls and destruction
records from qa and qa_manager. The file name is kept as its base name, without directories
or control characters.
"""


class AttachmentController(Controller):
    path = "/api/attachments"
    tags = ["evidence"]

    @post(
        "/",
        operation_id="AttachFile",
        guards=[ATTACH],
        status_code=201,
        request_max_body_size=get_settings().attachment_max_bytes + FORM_OVERHEAD_BYTES,
        description=UPLOAD_DESCRIPTION,
    )
    async def attach(
        self,
        data: Annotated[AttachmentUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        request: Request[Actor, Any, Any],
    ) -> evidence.Attachment:
        content = await data.file.read()
        await data.file.close()
        return await evidence.attach(
            request.user, data.entity, data.entity_id, data.file.filename, content
        )

    @get(
        "/",
        operation_id="ListAttachments",
        guards=[READ_ALL],
        description="The files attached to one record, oldest first.",
    )
    async def list_attachments(
        self,
        request: Request[Actor, Any, Any],
        entity: Annotated[
            str, Parameter(description=ENTITY_DESCRIPTION, max_length=20, schema_extra=ENTITY_ENUM)
        ],
        entity_id: Annotated[int, Parameter(description="The record's id", ge=1, le=2**31 - 1)],
    ) -> Page[evidence.Attachment]:
        items = await evidence.list_attachments(request.user, entity, entity_id)
        return Page(items, len(items))

    @get(
        "/{attachment_id:int}",
        operation_id="DownloadAttachment",
        guards=[READ_ALL],
        media_type="*/*",
        description="The file's bytes as uploaded, in its detected type, as a download.",
        responses={404: ResponseSpec(ErrorRead, description="No such attachment")},
    )
    async def download_attachment(
        self, request: Request[Actor, Any, Any], attachment_id: AttachmentId
    ) -> Response[bytes]:
        attachment, content = await evidence.attachment_content(request.user, attachment_id)
        return download(attachment, content)

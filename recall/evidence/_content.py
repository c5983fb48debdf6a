"""What a file is, told from its bytes (never its name or the sender's word), and its name
made safe to store and to offer for download."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

import puremagic

from recall.errors import InvalidInput

UNKNOWN = "application/octet-stream"
FILENAME_MAX = 255
# Office Open XML parts that name the kind of document in a ZIP.
_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_ODF = (
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
)
# Evidence people send: documents, scans and photos, short videos, text and mail.
ACCEPTED = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/tiff",
        "image/webp",
        "image/bmp",
        "image/heif",
        "image/heic",
        "video/mp4",
        "video/quicktime",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.ms-outlook",
        *_OOXML.values(),
        *_ODF,
        "text/plain",
        "text/csv",
        "message/rfc822",
        UNKNOWN,
    }
)
# Programs start with these bytes whatever a detector says (PE, ELF, Mach-O, Java class).
_PROGRAMS = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
             b"\xca\xfe\xba\xbe")  # fmt: skip
# Markup a browser would run: refused even when not at the very start.
_ACTIVE_MARKUP = re.compile(rb"<\s*(?:!doctype\s+html|html|script|svg|iframe|body|head)\b", re.I)
_HEADER_LINE = re.compile(r"[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MAIL_HEADERS = ("from:", "date:", "subject:", "message-id:", "received:", "return-path:")
_TEXT_SAMPLE = 64 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _refused(kind: str) -> InvalidInput:
    return InvalidInput(
        "file",
        f"{kind} files are not accepted as evidence; send a PDF, an image, an office "
        "document, text or CSV, or an e-mail (.eml)",
    )


def _zip_kind(content: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                return declared if declared in _ODF else "application/zip"
            types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, NotImplementedError):
        return "application/zip"
    if b"macroEnabled" in types:
        return "application/vnd.ms-office.macroenabled"
    for part, kind in _OOXML.items():
        if types and any(name.startswith(part) for name in names):
            return kind
    return "application/zip"


def _text_kind(content: bytes) -> str | None:
    """text/plain, text/csv or message/rfc822 when the bytes are text; None when not."""
    sample = content[:_TEXT_SAMPLE]
    if b"\x00" in sample:
        return None
    try:
        text = sample.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not merely a character cut at the sample's end
            return None
        text = sample[: exc.start].decode("utf-8-sig")
    if sum(ch.isprintable() or ch in "\t\r\n\f" for ch in text) < 0.98 * len(text):
        return None
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if lines and _HEADER_LINE.match(lines[0]):
        head = text.split("\n\n", 1)[0].split("\r\n\r\n", 1)[0].lower()
        if sum(f"\n{h}" in f"\n{head}" for h in _MAIL_HEADERS) >= 2:
            return "message/rfc822"
    for mark in (",", ";", "\t"):
        counts = {line.count(mark) for line in lines[:10]}
        if len(lines) > 1 and len(counts) == 1 and counts != {0}:
            return "text/csv"
    return "text/plain"


def detect(content: bytes) -> str:
    """The media type of `content`: from its bytes, `application/octet-stream` when no rule
    knows it. InvalidInput (`file`) for what must not be kept: programs, scripts, web pages,
    SVG, archives and macro-enabled documents."""
    if content.startswith(_PROGRAMS):
        raise _refused("program")
    if content.lstrip().startswith(b"#!"):
        raise _refused("script")
    if content.startswith(b"PK\x03\x04"):
        kind = _zip_kind(content)
    else:
        try:
            matches = puremagic.magic_string(content)
        except (puremagic.PureError, ValueError):
            matches = []
        kind = next((m.mime_type for m in matches if m.mime_type), "")
        if not kind or kind == "text/plain":
            kind = _text_kind(content) or kind
    head = content[:_TEXT_SAMPLE].lstrip(b"\xef\xbb\xbf \t\r\n")
    # In text anywhere near the start; in bytes of no known kind, only right at the start.
    if kind.startswith("text/") or "xml" in kind:
        markup = _ACTIVE_MARKUP.search(head)
    else:
        markup = None if kind else _ACTIVE_MARKUP.match(head)
    if kind in ("text/html", "application/xhtml+xml", "image/svg+xml") or markup:
        raise _refused("web page or SVG")
    kind = kind or UNKNOWN
    if kind not in ACCEPTED:
        raise _refused(kind)
    return kind


def safe_filename(name: str) -> str:
    """The base name of `name` without directories, control characters or reserved marks,
    at most FILENAME_MAX characters with its extension kept; `attachment` when nothing is left."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _CONTROL.sub("", name)
    name = re.sub(r'[<>:"|?*]', "_", name).strip().strip(".").strip()
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: FILENAME_MAX - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:FILENAME_MAX]
    return name or "attachment"

"""Evidence files: the store by content hash, types told from bytes, safe names, settings."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from recall.errors import ConfigurationError, InvalidInput, NotFound
from recall.evidence import UNKNOWN, detect, local_store, safe_filename, store_at
from recall.settings import load_settings


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


async def test_bytes_come_back_by_their_hash_from_a_two_level_folder(tmp_path):
    store = local_store(tmp_path / "evidence")
    content = b"%PDF-1.7 berita acara"
    await store.put(sha(content), content)
    assert await store.get(sha(content)) == content
    key = sha(content)
    assert files_under(tmp_path / "evidence") == [tmp_path / "evidence" / key[:2] / key[2:4] / key]


async def test_the_same_bytes_are_stored_once_and_never_overwritten(tmp_path):
    store = local_store(tmp_path)
    content = b"photo of the cracked blister"
    await store.put(sha(content), content)
    [path] = files_under(tmp_path)
    written = path.stat().st_mtime_ns
    await store.put(sha(content), content)
    # Whatever is handed in under an existing key, the stored bytes stay.
    await store.put(sha(content), b"something else entirely")
    assert files_under(tmp_path) == [path]
    assert path.stat().st_mtime_ns == written
    assert await store.get(sha(content)) == content


async def test_a_missing_file_is_not_found(tmp_path):
    with pytest.raises(NotFound):
        await local_store(tmp_path).get(sha(b"never stored"))


@pytest.mark.parametrize("key", ["../../etc/passwd", "AB" * 32, "ab/cd", ""])
async def test_only_a_sha256_is_a_key(tmp_path, key):
    store = local_store(tmp_path)
    with pytest.raises(ValueError):
        await store.put(key, b"x")
    assert files_under(tmp_path) == []


async def test_a_file_url_names_a_local_store(tmp_path):
    store = store_at(f"file://{tmp_path}/bucket")
    await store.put(sha(b"x"), b"x")
    assert await local_store(tmp_path / "bucket").get(sha(b"x")) == b"x"


def test_other_store_urls_are_refused():
    with pytest.raises(ConfigurationError):
        store_at("ftp://example.com/evidence")


def _zip(*names: str, mimetype: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if mimetype:
            archive.writestr("mimetype", mimetype)
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


OOXML = "application/vnd.openxmlformats-officedocument."


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 30, "image/jpeg"),
        (_zip("[Content_Types].xml", "word/document.xml"), OOXML + "wordprocessingml.document"),
        (_zip("[Content_Types].xml", "xl/workbook.xml"), OOXML + "spreadsheetml.sheet"),
        (
            _zip("content.xml", mimetype="application/vnd.oasis.opendocument.text"),
            "application/vnd.oasis.opendocument.text",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "application/msword"),
        ("Keluhan: sirup keruh — dibuka.\n".encode(), "text/plain"),
        (b"\xef\xbb\xbfa plain note with a byte order mark\n", "text/plain"),
        (b"batch_no;quantity\nSYR2401;12\nSYR2402;3\n", "text/csv"),
        (
            b"From: apotek@example.id\r\nDate: Mon, 5 Jan 2026 09:00:00 +0700\r\n"
            b"Subject: Keluhan\r\n\r\n<html><body>isi</body></html>\r\n",
            "message/rfc822",
        ),
        (bytes(range(256)) * 4, UNKNOWN),
    ],
)
def test_kinds_are_told_from_the_bytes(content, kind):
    assert detect(content) == kind


@pytest.mark.parametrize(
    "content",
    [
        b"<!doctype html><title>x</title>",
        b"\xef\xbb\xbf  <html><script>alert(1)</script>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"MZ\x90\x00" + b"\x00" * 100,
        b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
        b"#!/usr/bin/env python\nimport os\n",
        _zip("payload.exe"),
        _zip("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin").replace(
            b"<x/>", b"macroEnabled"
        ),
    ],
)
def test_pages_programs_archives_and_macros_are_refused(content):
    with pytest.raises(InvalidInput) as refused:
        detect(content)
    assert refused.value.field == "file"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Foto kemasan.jpg", "Foto kemasan.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\qa\\scan.pdf", "scan.pdf"),
        ("a\x00b\x1f\x7fc.pdf", "abc.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("...", "attachment"),
        ("", "attachment"),
        ('a<b>c:"d"|e?f*.txt', "a_b_c__d__e_f_.txt"),
        ("x" * 400 + ".docx", "x" * 250 + ".docx"),
        ("y" * 400, "y" * 255),
    ],
)
def test_file_names_become_safe_base_names(name, safe):
    assert safe_filename(name) == safe


def test_the_attachment_settings_default_to_25_mib_in_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("RECALL_ATTACHMENT_MAX_MB", raising=False)
    monkeypatch.delenv("RECALL_ATTACHMENT_STORE", raising=False)
    monkeypatch.setenv("RECALL_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.attachment_max_bytes == 25 * 1024 * 1024
    assert settings.attachment_store_url == f"file://{tmp_path.resolve()}/attachments"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RECALL_ATTACHMENT_MAX_MB", "0"),
        ("RECALL_ATTACHMENT_STORE", "/var/lib/recall/evidence"),
        ("RECALL_ATTACHMENT_STORE", "http://minio:9000/evidence"),
    ],
)
def test_bad_attachment_settings_stop_the_process(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError):
        load_settings().check()


def test_a_bucket_is_named_by_an_s3_url(monkeypatch):
    monkeypatch.setenv("RECALL_ATTACHMENT_STORE", "s3://evidence/recall")
    monkeypatch.setenv("RECALL_ATTACHMENT_MAX_MB", "100")
    settings = load_settings()
    settings.check()
    assert settings.attachment_store_url == "s3://evidence/recall"
    assert settings.attachment_max_bytes == 100 * 1024 * 1024

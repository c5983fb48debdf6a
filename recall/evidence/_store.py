"""Where evidence bytes live: one object per content hash, written once, never overwritten.

A local directory (`file:///path`) or an S3-compatible bucket (`s3://bucket/prefix`, with
the AWS_* environment variables obstore reads, AWS_ENDPOINT for MinIO and the like).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import obstore
from obstore.exceptions import AlreadyExistsError
from obstore.exceptions import NotFoundError as ObjectMissing
from obstore.store import LocalStore, ObjectStore, from_url

from recall.errors import ConfigurationError, NotFound
from recall.settings import get_settings

_SHA256 = re.compile(r"[0-9a-f]{64}")


def object_key(sha256: str) -> str:
    """`ab/cd/abcd…`: two levels of directories keep any one of them small."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 in hex: {sha256!r}")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class EvidenceStore:
    """Bytes put and got by their SHA-256; the same bytes are stored once."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    async def put(self, sha256: str, content: bytes) -> None:
        """Store `content` under its hash unless it is there already; never overwrites."""
        try:
            await obstore.put_async(self.store, object_key(sha256), content, mode="create")
        except AlreadyExistsError:
            return  # the key is the content's hash: what is there is these bytes

    async def get(self, sha256: str) -> bytes:
        """The bytes stored under `sha256`; NotFound when the store has none."""
        try:
            result = await obstore.get_async(self.store, object_key(sha256))
            return bytes(await result.bytes_async())
        except (FileNotFoundError, ObjectMissing):
            raise NotFound(f"the stored file {sha256} is missing") from None


def local_store(root: Path) -> EvidenceStore:
    """A directory of files named by content hash (`root/ab/cd/abcd…`), made when missing."""
    root.mkdir(parents=True, exist_ok=True)
    return EvidenceStore(LocalStore(root.resolve(), mkdir=True))


def store_at(url: str) -> EvidenceStore:
    """The store a RECALL_ATTACHMENT_STORE value names: file:///path or s3://bucket/prefix."""
    if url.startswith("file://"):
        return local_store(Path(url.removeprefix("file://")))
    if url.startswith("s3://"):
        return EvidenceStore(from_url(url))
    raise ConfigurationError(
        f"RECALL_ATTACHMENT_STORE must start with file:// or s3://, not {url!r}"
    )


@lru_cache(maxsize=1)
def evidence_store() -> EvidenceStore:
    """The process's store, as the settings name it."""
    return store_at(get_settings().attachment_store_url)

"""Secrets kept at rest sealed (AES-256-GCM) under a key derived from RECALL_SECRET_KEY.

A sealed value is `<key id>.<base64url(nonce + ciphertext + tag)>`: the key id says which
key of the ring (recall.keys) opens it, so values sealed before a rotation stay readable
while their secret key is listed in RECALL_PREVIOUS_SECRET_KEYS, until `recall secrets
rotate` seals them again under the current key. The purpose is the associated data, so a
value sealed for one use cannot be passed off as another's.
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recall import db, keys
from recall.errors import ConfigurationError
from recall.settings import Settings

NONCE_BYTES = 12


@lru_cache(maxsize=64)
def _cipher(material: bytes) -> AESGCM:
    return AESGCM(material)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(purpose: str, secret: str, settings: Settings | None = None) -> str:
    """`secret` sealed under the current key for `purpose`."""
    key = keys.current(purpose, settings)
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(key.material).encrypt(nonce, secret.encode(), purpose.encode())
    return f"{key.id}.{_b64(nonce + sealed)}"


def key_id(sealed: str) -> str:
    """The id of the key a sealed value was sealed with."""
    return sealed.partition(".")[0]


def unseal(purpose: str, sealed: str, settings: Settings | None = None) -> str:
    """The secret in `sealed`; ConfigurationError when its key is unknown or it was altered."""
    key_id_, _, body = sealed.partition(".")
    key = keys.by_id(purpose, key_id_, settings)
    try:
        data = _unb64(body)
        opened = _cipher(key.material).decrypt(
            data[:NONCE_BYTES], data[NONCE_BYTES:], purpose.encode()
        )
    except (InvalidTag, ValueError, binascii.Error):
        raise ConfigurationError(
            f"a value sealed under key {key_id_} ({purpose}) is damaged"
        ) from None
    return opened.decode()


def is_current(purpose: str, sealed: str, settings: Settings | None = None) -> bool:
    """Sealed under the current key (nothing for `recall secrets rotate` to do)."""
    return key_id(sealed) == keys.current(purpose, settings).id


# Rows re-sealed per statement and transaction (a CASE of this many ids, well under the
# parameter limits of SQLite and PostgreSQL).
RESEAL_CHUNK = 500


async def reseal_column(table: str, column: str, purpose: str) -> int:
    """Seal every value of `table.column` not sealed under the current key again under it.

    Each chunk is one transaction that writes only rows still holding the value it read, so
    a row changed meanwhile is left for the next run. Returns how many were re-sealed.
    """
    current = keys.current(purpose).id
    resealed, after = 0, 0
    while True:
        rows = await db.fetch(
            f"SELECT id, {column} AS sealed FROM {table} WHERE id > {{}} AND {column} <> '' "
            f"AND {column} IS NOT NULL AND {column} NOT LIKE {{}} ORDER BY id LIMIT {{}}",
            after,
            f"{current}.%",
            RESEAL_CHUNK,
        )
        if not rows:
            return resealed
        after = int(rows[-1]["id"])
        values: list[object] = []
        for row in rows:
            values += [int(row["id"]), seal(purpose, unseal(purpose, row["sealed"]))]
        cases = " ".join("WHEN {} THEN {}" for _ in rows)
        async with db.transaction():
            changed = await db.fetch_in(
                f"UPDATE {table} SET {column} = CASE id {cases} END "
                f"WHERE id IN (*) AND {column} = CASE id {cases} END RETURNING id",
                [int(row["id"]) for row in rows],
                *values,
                *[part for row in rows for part in (int(row["id"]), row["sealed"])],
            )
        resealed += len(changed)

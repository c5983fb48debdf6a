"""How an audit entry's hash is computed: HMAC-SHA256 under the audit key, or plain SHA-256
for entries written before hashes were keyed (their key id is NULL)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from recall import keys

GENESIS_HASH = "0" * 64
BLOCK = 64  # SHA-256's block size: HMAC pads the key to it


def entry_material(
    at: datetime,
    actor_id: int | None,
    actor_name: str,
    entity: str,
    entity_id: str,
    action: str,
    old_values: str,
    new_values: str,
    reason: str,
) -> str:
    """The JSON items an entry's hash covers between its sequence number and previous hash.

    PostgreSQL's audit_append() hashes `[<seq>, <material>, "<prev_hash>"]` as message() does.
    """
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    material = [stamp, actor_id, actor_name, entity, entity_id, action]
    material += [old_values, new_values, reason]
    return json.dumps(material, ensure_ascii=False)[1:-1]


def message(seq: int, material: str, prev_hash: str) -> bytes:
    return f'[{seq}, {material}, "{prev_hash}"]'.encode()


def entry_hash(seq: int, material: str, prev_hash: str) -> str:
    """The plain SHA-256 of entries written before hashes were keyed."""
    return hashlib.sha256(message(seq, material, prev_hash)).hexdigest()


def keyed_hash(key: keys.Key, seq: int, material: str, prev_hash: str) -> str:
    return hmac.new(key.material, message(seq, material, prev_hash), hashlib.sha256).hexdigest()


def hmac_pads(key: keys.Key) -> tuple[bytes, bytes]:
    """The key XOR ipad and XOR opad (RFC 2104), for audit_append() to compute HMAC in SQL."""
    padded = key.material.ljust(BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


def row_material(row: Any) -> str:
    """entry_material() of a stored row (SQLite hands raw times back as text)."""
    at = row["at"]
    if not isinstance(at, datetime):
        at = datetime.fromisoformat(str(at))
    return entry_material(
        at, row["actor_id"], row["actor_name"], row["entity"], row["entity_id"],
        row["action"], row["old_values"], row["new_values"], row["reason"],
    )  # fmt: skip


class Hasher:
    """Recomputes stored hashes with the key each entry names, and ranks keys by age.

    Keys only get newer along the chain: rank 0 is the current key, then the previous keys in
    RECALL_PREVIOUS_SECRET_KEYS order (newest first); unkeyed entries rank below every key.
    """

    def __init__(self) -> None:
        ring = keys.ring(keys.AUDIT)
        self._keys = {
            key_id: hmac.new(key.material, digestmod=hashlib.sha256) for key_id, key in ring.items()
        }
        self._ranks = {key_id: rank for rank, key_id in enumerate(ring)}
        self.unkeyed_rank = len(ring)

    def rank(self, key_id: str | None) -> int | None:
        """The key's age (0 newest); None when the key is unknown."""
        if key_id is None:
            return self.unkeyed_rank
        return self._ranks.get(key_id)

    def hash(self, key_id: str | None, seq: int, material: str, prev_hash: str) -> str:
        if key_id is None:
            return entry_hash(seq, material, prev_hash)
        keyed = self._keys[key_id].copy()
        keyed.update(message(seq, material, prev_hash))
        return keyed.hexdigest()

"""Electronic signatures (21 CFR Part 11 style): password re-checked, printed name, UTC time,
meaning, and a SHA-256 of exactly what was signed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from recall import clock, db
from recall.actors import Actor
from recall.auth._service import check_signer
from recall.errors import Forbidden, InvalidInput

MEANING_MAX = 500


@dataclass(frozen=True)
class Signature:
    id: int
    entity: str
    entity_id: str
    action: str
    user_id: int
    full_name: str
    meaning: str
    signed_at: datetime
    record_hash: str


def record_hash(record: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a record (sorted keys, no spaces, dates as ISO text)."""
    text = json.dumps(
        record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_iso
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def check_meaning(meaning: str) -> str:
    """The signature's meaning ("approved for recall", …): trimmed, not blank, bounded."""
    text = meaning.strip()
    if not text:
        raise InvalidInput("meaning", "must not be empty")
    if len(text) > MEANING_MAX:
        raise InvalidInput("meaning", f"at most {MEANING_MAX} characters")
    if "\x00" in text:
        raise InvalidInput("meaning", "must not contain NUL characters")
    return text


async def sign(
    actor: Actor,
    password: str,
    *,
    entity: str,
    entity_id: str | int,
    action: str,
    meaning: str,
    record: dict[str, Any],
) -> Signature:
    """Re-check the signer's password and store the signature of `record`.

    Run it inside the transaction of the change being signed: a wrong password raises
    NotAuthenticated (SignatureRefused) before anything is written, and the caller's change rolls
    back with it. Wrap that transaction in `signature_refusals_recorded` so wrong passwords are
    audited and counted (five in a row lock signing: SigningLocked, 429).
    """
    meaning = check_meaning(meaning)
    await check_signer(actor, password)
    if actor.id is None:  # check_signer refuses these already; this narrows the type
        raise Forbidden("only a signed-in person can sign")
    signed_at = clock.now().astimezone(UTC)
    digest = record_hash(record)
    full_name = actor.full_name or actor.username
    row = {
        "entity": entity,
        "entity_id": str(entity_id),
        "action": action,
        '"user"': actor.id,
        "full_name": full_name,
        "meaning": meaning,
        "signed_at": signed_at,
        "record_hash": digest,
    }
    signature_id = await db.insert("signature", row)
    return Signature(
        signature_id,
        entity,
        str(entity_id),
        action,
        actor.id,
        full_name,
        meaning,
        signed_at,
        digest,
    )


async def signatures_of(entity: str, entity_id: str | int) -> list[Signature]:
    """The signatures on one record, oldest first."""
    rows = await db.fetch(
        'SELECT id, entity, entity_id, action, "user" AS user_id, full_name, meaning, signed_at, '
        "record_hash FROM signature WHERE entity = {} AND entity_id = {} ORDER BY signed_at, id",
        entity,
        str(entity_id),
    )
    return [
        Signature(
            id=row["id"],
            entity=row["entity"],
            entity_id=row["entity_id"],
            action=row["action"],
            user_id=row["user_id"],
            full_name=row["full_name"],
            meaning=row["meaning"],
            signed_at=db.as_utc(row["signed_at"]),
            record_hash=row["record_hash"],
        )
        for row in rows
    ]

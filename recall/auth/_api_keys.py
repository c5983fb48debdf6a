"""Consignee API keys: created and revoked by administrators, each one named in the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from recall import audit, clock, db
from recall.actors import SYSTEM, Actor, Role
from recall.auth._tokens import api_key_matches, api_key_prefix, new_api_key
from recall.errors import Conflict, Forbidden, NotAuthenticated, NotFound
from recall.rules import is_valid_id

# last_used_at is a hint for administrators, not a log: one write a minute per key at most.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiKeyInfo:
    """A key as administrators see it: never the key itself, only its lookup prefix."""

    id: int
    prefix: str
    consignee_id: int
    consignee_code: str
    consignee_name: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _require_admin(actor: Actor) -> None:
    # A key acts as its consignee: whoever mints one can act as that consignee.
    if not actor.has(Role.ADMIN) and actor != SYSTEM:
        raise Forbidden("only an administrator manages API keys")


def key_actor_name(key_id: int, consignee_code: str) -> str:
    return f"API key #{key_id} of {consignee_code}"


# Read on every request a consignee's system sends: plain SQL, as in service._USER_SQL.
_KEY_SQL = (
    "SELECT k.id AS id, k.key_hash AS key_hash, k.revoked_at AS revoked_at, "
    "k.last_used_at AS last_used_at, k.consignee AS consignee, c.code AS code "
    "FROM api_key k JOIN consignee c ON c.id = k.consignee WHERE k.prefix = {}"
)
# Per process: when each key's last_used_at was last written or found fresh (UNIX time).
# Keyed by prefix: unique and never reused, unlike ids on a SQLite file emptied by tests.
_touched: dict[str, float] = {}


async def actor_for_api_key(key: str) -> Actor:
    """The consignee acting through `key`; NotAuthenticated when unknown or revoked."""
    prefix = api_key_prefix(key)
    rows = await db.fetch(_KEY_SQL, prefix)
    row = rows[0] if rows else None
    if row is None or row["revoked_at"] is not None or not api_key_matches(key, row["key_hash"]):
        raise NotAuthenticated("API key unknown or revoked")
    await _note_use(row, prefix)
    return Actor(
        id=None,
        username=f"api-key:{row['id']}",
        full_name=key_actor_name(row["id"], row["code"]),
        roles=frozenset({Role.DISTRIBUTOR}),
        consignee_id=row["consignee"],
        via_api_key=True,
        api_key_id=row["id"],
    )


async def _note_use(row: Mapping[str, Any], prefix: str) -> None:
    """Set last_used_at when the stored one is a minute old; other processes see the row's."""
    key_id, moment = row["id"], clock.now()
    tick = moment.timestamp()
    if 0 <= tick - _touched.get(prefix, 0.0) < LAST_USED_RESOLUTION.total_seconds():
        return
    _touched[prefix] = tick
    last = db.as_utc(row["last_used_at"])
    if last is not None and moment - last < LAST_USED_RESOLUTION:
        return
    await db.fetch("UPDATE api_key SET last_used_at = {} WHERE id = {}", moment, key_id)


async def create_api_key(actor: Actor, consignee_id: int) -> str:
    """A new API key for a consignee; the key itself is returned once and never stored."""
    from recall.masterdata import get_consignee

    _require_admin(actor)
    consignee = await get_consignee(consignee_id)
    key, prefix, digest = new_api_key()
    async with db.transaction():
        row = {
            "consignee": consignee.id,
            "prefix": prefix,
            "key_hash": digest,
            "created_at": clock.now(),
            "created_by": actor.username,
        }
        key_id = await db.insert("api_key", row)
        new = {"consignee_code": consignee.code, "prefix": prefix}
        await audit.record(actor, audit.Change("api_key", key_id, "api_key_created", new=new))
    return key


_COLUMNS = (
    "k.id AS id, k.prefix AS prefix, k.consignee AS consignee_id, c.code AS code, "
    "c.name AS name, k.created_by AS created_by, k.created_at AS created_at, "
    "k.last_used_at AS last_used_at, k.revoked_at AS revoked_at, k.revoked_by AS revoked_by"
)
_KEYS = "api_key k JOIN consignee c ON c.id = k.consignee"


def _info(row: Mapping[str, Any]) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row["id"],
        prefix=row["prefix"],
        consignee_id=row["consignee_id"],
        consignee_code=row["code"],
        consignee_name=row["name"],
        created_by=row["created_by"],
        created_at=db.as_utc(row["created_at"]),
        last_used_at=db.as_utc(row["last_used_at"]),
        revoked_at=db.as_utc(row["revoked_at"]),
        revoked_by=row["revoked_by"],
    )


async def list_api_keys(
    actor: Actor, consignee_code: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[ApiKeyInfo], int]:
    """Keys newest first, of one consignee when `consignee_code` is given, and their count."""
    _require_admin(actor)
    by_code = ("c.code = {}", [consignee_code.strip()]) if consignee_code else ("", [])
    where, values = db.where(by_code)
    rows, total = await db.fetch_page(_COLUMNS, _KEYS + where, "k.id DESC", values, limit, offset)
    return [_info(row) for row in rows], total


async def get_api_key(actor: Actor, key_id: int) -> ApiKeyInfo:
    _require_admin(actor)
    found = f"SELECT {_COLUMNS} FROM {_KEYS} WHERE k.id = {{}}"
    rows = await db.fetch(found, key_id) if is_valid_id(key_id) else []
    if not rows:
        raise NotFound(f"API key {key_id} not found")
    return _info(rows[0])


async def revoke_api_key(actor: Actor, key_id: int) -> ApiKeyInfo:
    """Revoke a key: from now on it answers 401. Revoking twice is a Conflict (409)."""
    _require_admin(actor)
    async with db.transaction():
        key = await get_api_key(actor, key_id)
        if key.revoked_at is not None:
            raise Conflict(f"API key {key_id} was already revoked")
        moment = clock.now()
        # The WHERE makes a concurrent second revocation change nothing (and fail below).
        changed = await db.fetch(
            "UPDATE api_key SET revoked_at = {}, revoked_by = {} "
            "WHERE id = {} AND revoked_at IS NULL RETURNING id",
            moment,
            actor.username,
            key_id,
        )
        if not changed:
            raise Conflict(f"API key {key_id} was already revoked")
        await audit.record(
            actor,
            audit.Change(
                "api_key",
                key_id,
                "api_key_revoked",
                old={"revoked_at": None},
                new={
                    "revoked_at": moment,
                    "consignee_code": key.consignee_code,
                    "prefix": key.prefix,
                },
            ),
        )
    return await get_api_key(actor, key_id)

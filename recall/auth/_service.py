"""Use cases of identity: users, sign-in, tokens, API keys."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from recall import audit, clock, db
from recall.actors import Actor, Role
from recall.auth._api_keys import actor_for_api_key
from recall.auth._models import User
from recall.auth._password_policy import check_password_policy
from recall.auth._passwords import check_password, hash_password
from recall.auth._signing import SignatureRefused, signing_unlocked
from recall.auth._tokens import issue_token, token_claims
from recall.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,149}$")


def parse_roles(roles: list[str]) -> frozenset[Role]:
    if not roles:
        raise InvalidInput("roles", "at least one role is required")
    allowed = {role.value for role in Role}
    unknown = [role for role in roles if role not in allowed]
    if unknown:
        raise InvalidInput("roles", f"unknown role {unknown[0]!r}; one of {sorted(allowed)}")
    return frozenset(Role(role) for role in roles)


async def _consignee_id(code: str) -> int:
    from recall.masterdata import consignee_by_code

    consignee = await consignee_by_code(code, field="consignee_code")
    return consignee.id


async def create_user(
    actor: Actor,
    username: str,
    password: str,
    full_name: str,
    roles: list[str],
    consignee_code: str | None = None,
    *,
    enforce_password_policy: bool = True,
) -> User:
    """Create a user; a distributor must be bound to exactly one consignee."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            "username", "2-150 characters: lower-case letters, digits and . _ @ - only"
        )
    if enforce_password_policy:
        check_password_policy(password, username, "password")
    if not full_name.strip():
        raise InvalidInput("full_name", "must not be empty")
    role_set = parse_roles(roles)
    if Role.DISTRIBUTOR in role_set and not consignee_code:
        raise InvalidInput("consignee_code", "required for the distributor role")
    if consignee_code and role_set != {Role.DISTRIBUTOR}:
        raise InvalidInput("consignee_code", "only a distributor-only user is bound to a consignee")
    consignee_id = await _consignee_id(consignee_code) if consignee_code else None
    role_list = sorted(role.value for role in role_set)
    async with db.transaction():
        if await db.fetch("SELECT id FROM app_user WHERE username = {}", username):
            raise Conflict(f"username {username!r} is taken")
        name, created_at = full_name.strip(), clock.now()
        row = {
            "username": username,
            "password_hash": hash_password(password),
            "full_name": name,
            "roles": json.dumps(role_list),
            "consignee": consignee_id,
            "active": True,
            "created_at": created_at,
            "credentials_version": 0,
            "signature_failures": 0,
        }
        user_id = await db.insert("app_user", row)
        new = {"username": username, "full_name": name, "roles": role_list}
        if consignee_code:
            new["consignee_code"] = consignee_code
        await audit.record(actor, audit.Change("user", user_id, "created", new=new))
    return User(user_id, username, name, role_list, consignee_code, True, created_at)


# Read on every authenticated request: plain SQL, as building an ORM query costs more.
_USER_COLUMNS = (
    "SELECT u.id AS id, u.username AS username, u.password_hash AS password_hash, "
    "u.full_name AS full_name, u.roles AS roles, u.consignee AS consignee, u.active AS active, "
    "u.created_at AS created_at, u.last_sign_in_at AS last_sign_in_at, "
    "u.credentials_version AS credentials_version, u.signature_failures AS signature_failures, "
    "u.signature_locked_until AS signature_locked_until, c.code AS consignee_code"
)
_USER_SQL = _USER_COLUMNS + " FROM app_user u LEFT JOIN consignee c ON c.id = u.consignee "
# A token's user and whether the token was ended by signing out, in one round trip.
_TOKEN_SQL = (
    _USER_COLUMNS
    + ", EXISTS (SELECT 1 FROM revoked_token r WHERE r.jti = {}) AS revoked"
    + " FROM app_user u LEFT JOIN consignee c ON c.id = u.consignee WHERE u.id = {}"
)


async def _user_row(
    *, id: int | None = None, username: str | None = None
) -> Mapping[str, Any] | None:
    """The user with this id or username, with its consignee's code."""
    column, value = ("u.id", id) if username is None else ("u.username", username)
    rows = await db.fetch(_USER_SQL + f"WHERE {column} = {{}}", value)
    return rows[0] if rows else None


def _user(row: Mapping[str, Any]) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        roles=json.loads(row["roles"]),
        consignee_code=row["consignee_code"],
        active=bool(row["active"]),
        created_at=db.as_utc(row["created_at"]),
        last_sign_in_at=db.as_utc(row["last_sign_in_at"]),
    )


def _actor(row: Mapping[str, Any]) -> Actor:
    return Actor(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        roles=frozenset(Role(role) for role in json.loads(row["roles"])),
        consignee_id=row["consignee"],
    )


async def login(
    username: str, password: str, secret_key: str, ttl_minutes: int
) -> tuple[str, User]:
    """A bearer token for correct credentials of an active user."""
    row = await _user_row(username=username.strip().lower())
    if not check_password(row["password_hash"] if row else None, password) or not row:
        raise NotAuthenticated("username or password is wrong")
    if not row["active"]:
        raise NotAuthenticated("this account is disabled")
    async with db.transaction():
        await db.fetch(
            "UPDATE app_user SET last_sign_in_at = {} WHERE id = {}", clock.now(), row["id"]
        )
    token = issue_token(row["id"], secret_key, ttl_minutes, row["credentials_version"] or 0)
    return token, _user(row)


async def actor_for_token(token: str, secret_key: str) -> Actor:
    """The acting identity behind a bearer token or a consignee API key."""
    if token.startswith("rk_"):
        return await actor_for_api_key(token)
    claims = token_claims(token, secret_key)
    rows = await db.fetch(_TOKEN_SQL, claims.jti or "", claims.user_id)
    row = rows[0] if rows else None
    if row is None or not row["active"]:
        raise NotAuthenticated("account no longer active")
    if claims.version != (row["credentials_version"] or 0):
        raise NotAuthenticated("password or roles changed since sign-in; sign in again")
    if row["revoked"]:
        raise NotAuthenticated("signed out; sign in again")
    return _actor(row)


async def check_signer(actor: Actor, password: str) -> None:
    """Re-check the signer's password before an electronic signature."""
    if actor.id is None:
        raise Forbidden("only a signed-in person can sign")
    row = await _user_row(id=actor.id)
    if row is None:
        raise NotAuthenticated("account no longer exists; nothing was signed")
    signing_unlocked(row["signature_locked_until"])
    if not check_password(row["password_hash"], password):
        raise SignatureRefused("password is wrong; nothing was signed")
    if row["signature_failures"]:
        # Joins the signed change's transaction: a right password ends the run of wrong ones.
        await db.fetch("UPDATE app_user SET signature_failures = 0 WHERE id = {}", actor.id)


async def get_user(user_id: int) -> User:
    row = await _user_row(id=user_id)
    if row is None:
        raise NotFound(f"user {user_id} not found")
    return _user(row)

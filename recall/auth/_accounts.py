"""Account lifecycle: listing, changing, deactivating users; passwords; signing out.

A password change, a role change or deactivation raises the user's credentials version, so every
token issued before (and the browser sessions holding one) stops working at its next request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from recall import audit, clock, db
from recall.actors import SYSTEM, Actor, Role
from recall.auth._models import User
from recall.auth._password_policy import check_password_policy
from recall.auth._passwords import check_password, hash_password
from recall.auth._service import _user, _user_row, parse_roles
from recall.auth._tokens import token_claims
from recall.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from recall.rules import is_valid_id

MAX_PAGE = 500
FULL_NAME_MAX = 200

_LIST_COLUMNS = (
    "u.id AS id, u.username AS username, u.full_name AS full_name, u.roles AS roles, "
    "u.active AS active, u.created_at AS created_at, u.last_sign_in_at AS last_sign_in_at, "
    "c.code AS consignee_code"
)
_USERS = "app_user u LEFT JOIN consignee c ON c.id = u.consignee"


async def list_users(limit: int = 50, offset: int = 0) -> tuple[list[User], int]:
    """One page of users by username, and how many there are in all."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("limit", f"between 1 and {MAX_PAGE}")
    if offset < 0:
        raise InvalidInput("offset", "must not be negative")
    rows, total = await db.fetch_page(_LIST_COLUMNS, _USERS, "u.username", [], limit, offset)
    return [_user(row) for row in rows], total


async def _target(user_id: int) -> Mapping[str, Any]:
    row = await _user_row(id=user_id) if is_valid_id(user_id) else None
    if row is None:
        raise NotFound(f"user {user_id} not found")
    return row


async def _other_active_admins(user_id: int) -> int:
    # On PostgreSQL the rows are locked, so two admins demoting each other cannot both pass.
    rows = await db.fetch(
        "SELECT id, roles FROM app_user WHERE active = {}" + db.for_update(), True
    )
    return sum(
        1 for row in rows if row["id"] != user_id and Role.ADMIN.value in json.loads(row["roles"])
    )


async def update_user(
    actor: Actor,
    user_id: int,
    *,
    full_name: str | None = None,
    roles: list[str] | None = None,
    active: bool | None = None,
) -> User:
    """Change a user's name, roles or whether it may sign in; audited field by field."""
    name = None if full_name is None else full_name.strip()
    if name is not None and not name:
        raise InvalidInput("full_name", "must not be empty")
    if name is not None and len(name) > FULL_NAME_MAX:
        raise InvalidInput("full_name", f"at most {FULL_NAME_MAX} characters")
    new_roles = None if roles is None else sorted(role.value for role in parse_roles(roles))
    async with db.transaction():
        row = await _target(user_id)
        old_roles = sorted(json.loads(row["roles"]))
        if row["consignee_code"] and new_roles is not None and new_roles != ["distributor"]:
            raise InvalidInput("roles", "a user bound to a consignee stays distributor-only")
        if not row["consignee_code"] and new_roles is not None and "distributor" in new_roles:
            raise InvalidInput("roles", "a distributor must be created bound to its consignee")
        changes = _changes(row, old_roles, name, new_roles, active)
        if not changes:
            return _user(row)
        was_admin = row["active"] and Role.ADMIN.value in old_roles
        stays_admin = (row["active"] if active is None else active) and Role.ADMIN.value in (
            old_roles if new_roles is None else new_roles
        )
        if was_admin and not stays_admin and not await _other_active_admins(user_id):
            raise Conflict("the last active admin cannot be deactivated or lose the admin role")
        await _write(actor, row, changes)
    return _user(await _target(user_id))


def _changes(
    row: Mapping[str, Any],
    old_roles: list[str],
    name: str | None,
    new_roles: list[str] | None,
    active: bool | None,
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if name is not None and name != row["full_name"]:
        changes["full_name"] = name
    if new_roles is not None and new_roles != old_roles:
        changes["roles"] = new_roles
    if active is not None and active != bool(row["active"]):
        changes["active"] = active
    return changes


async def _write(actor: Actor, row: Mapping[str, Any], changes: dict[str, Any]) -> None:
    """Store the changes and audit each in Part 11 words: who changed what on whose account."""
    username = row["username"]
    ends_tokens = "roles" in changes or changes.get("active") is False
    sets = ", ".join(f"{column} = {{}}" for column in changes)
    values = [json.dumps(v) if column == "roles" else v for column, v in changes.items()]
    bump = ", credentials_version = credentials_version + 1" if ends_tokens else ""
    await db.fetch(f"UPDATE app_user SET {sets}{bump} WHERE id = {{}}", *values, row["id"])
    who = actor.display_name
    if "full_name" in changes:
        await _audit(
            actor, row, "full_name_changed", {"full_name": row["full_name"]},
            {"full_name": changes["full_name"]},
            f"full name of account {username} changed by {who}",
        )  # fmt: skip
    if "roles" in changes:
        old, new = sorted(json.loads(row["roles"])), changes["roles"]
        await _audit(
            actor, row, "roles_changed", {"roles": old}, {"roles": new},
            f"roles of account {username} changed by {who}: "
            f"{', '.join(old)} → {', '.join(new)}",
        )  # fmt: skip
    if "active" in changes:
        action = "reactivated" if changes["active"] else "deactivated"
        await _audit(
            actor, row, action, {"active": bool(row["active"])}, {"active": changes["active"]},
            f"account {username} {action} by {who}",
        )  # fmt: skip


async def _audit(
    actor: Actor,
    row: Mapping[str, Any],
    action: str,
    old: dict[str, Any],
    new: dict[str, Any],
    reason: str,
) -> None:
    await audit.record(
        actor,
        audit.Change(
            "user", row["id"], action, old=old, new={"username": row["username"], **new},
            reason=reason,
        ),
    )  # fmt: skip


async def set_password(actor: Actor, user_id: int, password: str) -> None:
    """An admin resets someone's password; their tokens and sessions end."""
    row = await _target(user_id)
    check_password_policy(password, row["username"], "password")
    reason = f"password of account {row['username']} reset by admin {actor.display_name}"
    await _store_password(actor, row, password, "password_reset", reason)


async def change_own_password(actor: Actor, current_password: str, new_password: str) -> None:
    """A signed-in person changes its own password, proving it knows the current one."""
    if actor.id is None or actor.via_api_key:
        raise Forbidden("only a signed-in person has a password to change")
    row = await _target(actor.id)
    if not check_password(row["password_hash"], current_password):
        raise InvalidInput("current_password", "is wrong")
    check_password_policy(new_password, row["username"], "new_password")
    if new_password == current_password:
        raise InvalidInput("new_password", "must differ from the current password")
    reason = f"password of account {row['username']} changed by the user"
    await _store_password(actor, row, new_password, "password_changed", reason)


async def _store_password(
    actor: Actor, row: Mapping[str, Any], password: str, action: str, reason: str
) -> None:
    digest = hash_password(password)  # slow on purpose: outside the transaction
    async with db.transaction():
        await db.fetch(
            "UPDATE app_user SET password_hash = {}, "
            "credentials_version = credentials_version + 1 WHERE id = {}",
            digest,
            row["id"],
        )
        # Never the password or its hash: only that it changed.
        await _audit(actor, row, action, {}, {}, reason)


async def end_token(token: str, secret_key: str) -> None:
    """Sign out: this token answers 401 from now on (kept on a list until it expires)."""
    try:
        claims = token_claims(token, secret_key)
    except NotAuthenticated:
        return  # forged or expired: nothing to end
    if claims.jti is None:
        raise NotAuthenticated("this token cannot be ended; sign in again for a new one")
    now = clock.now()
    expires = datetime.fromtimestamp(claims.expires, UTC)
    async with db.transaction():
        await db.fetch("DELETE FROM revoked_token WHERE expires_at < {}", now)
        await db.fetch(
            "INSERT INTO revoked_token (jti, expires_at) VALUES ({}, {}) "
            "ON CONFLICT (jti) DO NOTHING",
            claims.jti,
            expires,
        )


async def sign_in_locked(username: str, failures: int, seconds: int, address: str) -> None:
    """Put a username's sign-in lockout on the record (Part 11), when the account exists."""
    row = await _user_row(username=username.strip().lower())
    if row is None:
        return  # guesses at names that do not exist lock nothing worth recording
    reason = (
        f"sign-in of account {row['username']} locked for {seconds} s after {failures} "
        f"failed sign-ins (last from {address or 'an unknown address'})"
    )
    async with db.transaction():
        await audit.record(
            SYSTEM,
            audit.Change(
                "user", row["id"], "sign_in_locked",
                new={"username": row["username"], "client_address": address}, reason=reason,
            ),
        )  # fmt: skip

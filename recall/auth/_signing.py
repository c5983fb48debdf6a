"""Locking e-signatures after repeated wrong passwords (21 CFR 11.300(d)).

The password is re-checked inside the transaction of the change being signed, which rolls back
when it is wrong; so wrong passwords are counted, and lockouts audited and alerted, after that
transaction, in one of their own (`signature_refusals_recorded`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from recall import audit, clock, db
from recall.actors import Actor
from recall.errors import NotAuthenticated, TooManyAttempts

SIGNATURE_ATTEMPTS = 5
SIGNATURE_LOCKOUT = timedelta(minutes=15)


class SignatureRefused(NotAuthenticated):
    """The signer's password was wrong; nothing was signed."""


class SigningLocked(TooManyAttempts):
    """The signer gave too many wrong passwords in a row and may not sign for a while."""


def signing_unlocked(locked_until: datetime | str | None) -> None:
    """Refuse to sign (even with the right password) while a lockout runs."""
    until = db.as_utc(locked_until)
    now = clock.now()
    if until is not None and until > now:
        raise SigningLocked(
            f"too many wrong signature passwords; signing is locked until "
            f"{until.astimezone(UTC):%H:%M} UTC",
            retry_after=int((until - now).total_seconds()) + 1,
        )


@asynccontextmanager
async def signature_refusals_recorded(
    actor: Actor, entity: str, entity_id: str | int
) -> AsyncIterator[None]:
    """Wrap the transaction that signs: a refused signature is audited, and wrong passwords
    counted (5 in a row lock signing for 15 minutes, audited and alerted to QA)."""
    try:
        yield
    except SignatureRefused:
        await _wrong_password(actor, entity, entity_id)
        raise
    except SigningLocked as locked:
        async with db.transaction():
            await audit.record(
                actor,
                audit.Change(entity, entity_id, "signature_refused", reason=locked.detail),
            )
        raise


async def _wrong_password(actor: Actor, entity: str, entity_id: str | int) -> None:
    async with db.transaction():
        await audit.record(
            actor,
            audit.Change(entity, entity_id, "signature_refused", reason="password re-check failed"),
        )
        if actor.id is None:
            return
        rows = await db.fetch(
            "UPDATE app_user SET signature_failures = signature_failures + 1 WHERE id = {} "
            "RETURNING signature_failures",
            actor.id,
        )
        if not rows or rows[0]["signature_failures"] < SIGNATURE_ATTEMPTS:
            return
        until = clock.now() + SIGNATURE_LOCKOUT
        await db.fetch(
            "UPDATE app_user SET signature_failures = 0, signature_locked_until = {} WHERE id = {}",
            until,
            actor.id,
        )
        await _lockout_recorded(actor, until, entity, entity_id)


async def _lockout_recorded(
    actor: Actor, until: datetime, entity: str, entity_id: str | int
) -> None:
    from recall import alerts  # alerts name their actor through recall.auth

    at = until.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    reason = (
        f"e-signatures of {actor.username} locked until {at} after {SIGNATURE_ATTEMPTS} "
        f"wrong signature passwords in a row (last while signing {entity} {entity_id})"
    )
    await audit.record(
        actor,
        audit.Change(
            "user",
            actor.id or 0,
            "signature_lockout",
            new={"username": actor.username, "locked_until": until.astimezone(UTC).isoformat()},
            reason=reason,
        ),
    )
    await alerts.raise_alert(
        alerts.AlertKind.SIGNATURE_LOCKOUT,
        f"{actor.display_name}: {reason}.",
        recall_id=int(entity_id) if entity == "recall" else None,
    )

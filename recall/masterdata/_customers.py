"""Consignees a supplier names as its customers while passing a recall on (the cascade)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from recall import audit, db
from recall.actors import Actor
from recall.masterdata._webhook_secrets import new_webhook_secret, seal_webhook_secret

# Columns of a named customer's row, with their PostgreSQL types (see db.insert_many).
_COLUMNS = (
    ("code", "text"), ("name", "text"), ("kind", "text"), ("parent", "int"), ("email", "text"),
    ("webhook_url", "text"), ("webhook_secret", "text"), ("active", "bool"),
    ("created_at", "timestamptz"), ("country", "text"),
)  # fmt: skip


@dataclass(frozen=True)
class NamedCustomer:
    """A customer new to master data, as its supplier named it (values already checked)."""

    code: str
    name: str
    kind: str
    email: str | None
    webhook_url: str | None
    country: str | None = None  # ISO 3166 alpha-2 (checked); None: the supplier's country


@dataclass(frozen=True)
class CustomerAdded:
    """A named customer's new consignee id and its webhook signing secret (shown once)."""

    id: int
    webhook_secret: str


async def add_customers(
    actor: Actor,
    customers: Sequence[NamedCustomer],
    supplier_id: int,
    supplier_code: str,
    now: datetime,
) -> dict[str, CustomerAdded]:
    """Create the supplier's named customers as consignees under it, audited; by code.

    Runs inside the caller's transaction, in bulk: a cascade may name a thousand at once.
    """
    secrets = {customer.code: new_webhook_secret() for customer in customers}
    (supplier,) = await db.fetch("SELECT country FROM consignee WHERE id = {}", supplier_id)
    country = {customer.code: customer.country or supplier["country"] for customer in customers}
    values = []
    for customer in customers:
        values.append((
            customer.code, customer.name, customer.kind, supplier_id, customer.email,
            customer.webhook_url, seal_webhook_secret(secrets[customer.code]), True, now,
            country[customer.code],
        ))  # fmt: skip
    rows = await db.insert_many("consignee", _COLUMNS, values, "RETURNING id, code")
    added = {row["code"]: CustomerAdded(int(row["id"]), secrets[row["code"]]) for row in rows}
    await audit.record(
        actor,
        *[
            audit.Change(
                "consignee",
                added[customer.code].id,
                "created",
                new={
                    "code": customer.code,
                    "name": customer.name,
                    "kind": customer.kind,
                    "email": customer.email,
                    "phone": None,
                    "after_hours_phone": None,
                    "webhook_url": customer.webhook_url,
                    "province": None,
                    "country": country[customer.code],
                    "parent_code": supplier_code,
                },
                reason=f"named as a customer by {supplier_code}",
            )
            for customer in customers
        ],
    )
    return added

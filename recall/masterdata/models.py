"""Master data as the rest of the system sees it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Consignee:
    id: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    email: str | None
    phone: str | None
    after_hours_phone: str | None
    webhook_url: str | None
    province: str | None

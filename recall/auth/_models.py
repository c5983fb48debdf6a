"""Staff and distributor accounts as the auth context reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    roles: list[str]
    consignee_code: str | None
    active: bool
    created_at: datetime | None = None
    last_sign_in_at: datetime | None = None

"""Who acts: the roles, the identity behind a request or job, and the system itself.

A leaf every context may import: audit entries, alerts and use cases name an Actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CS = "cs"
    QA = "qa"
    QA_MANAGER = "qa_manager"
    DISTRIBUTOR = "distributor"
    INSPECTOR = "inspector"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    """The identity behind a request or job; every audit entry names one."""

    id: int | None
    username: str
    full_name: str
    roles: frozenset[Role]
    consignee_id: int | None = None
    via_api_key: bool = False
    # The consignee API key acting, so audit entries can name which key did it.
    api_key_id: int | None = None

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def display_name(self) -> str:
        return f"{self.full_name} ({self.username})" if self.full_name else self.username


SYSTEM = Actor(id=None, username="system", full_name="Recall system", roles=frozenset())

"""The audit trail, read-only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.params import Parameter

from recall import audit
from web.api.schemas import Limit, Offset, Page, read_model
from web.security import QUALITY_READ


class AuditEntryRead(msgspec.Struct):
    seq: int
    at: datetime
    actor_id: int | None
    actor_name: str
    entity: str
    entity_id: str
    action: str
    old_values: dict[str, Any]
    new_values: dict[str, Any]
    reason: str
    hash: str


class FullRunRead(msgspec.Struct):
    at: str
    ok: bool
    entries: int
    first_bad: int | None
    problem: str


class VerificationRead(msgspec.Struct):
    ok: bool
    entries: int
    first_bad: int | None
    problem: str
    checked: int  # entries re-hashed by this check (those after the last checkpoint)
    since: int  # the checkpoint it went on from (0: the first entry)
    last_full: FullRunRead | None  # the latest re-hash of every entry (nightly, or the CLI)


def entry_read(entry: audit.Entry) -> AuditEntryRead:
    return read_model(AuditEntryRead, entry)


class AuditController(Controller):
    path = "/api/audit"
    tags = ["audit"]
    guards = [QUALITY_READ]

    @get("/", operation_id="ListAuditEntries")
    async def list_entries(
        self,
        entity: Annotated[str | None, Parameter(max_length=50)] = None,
        entity_id: Annotated[str | None, Parameter(max_length=50)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[AuditEntryRead]:
        entries, total = await audit.list_entries(entity, entity_id, limit, offset)
        return Page(items=[entry_read(e) for e in entries], total=total)

    @get("/verify", operation_id="VerifyAuditTrail")
    async def verify(self) -> VerificationRead:
        """Check the chain from its last checkpoint (fast); the full re-hash runs nightly."""
        result = await audit.verify()
        last_full = result.last_full
        return VerificationRead(
            result.ok, result.entries, result.first_bad, result.problem, result.checked,
            result.since, read_model(FullRunRead, last_full) if last_full else None,
        )  # fmt: skip

"""The audit trail, read-only."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import Parameter

from recall import audit
from web.api.schemas import Limit, Offset, Page, read_model
from web.security import QUALITY_READ


class VerificationRead(msgspec.Struct):
    """A check of the chain, without the domain's record of whether it re-hashed everything."""

    ok: bool
    entries: int
    first_bad: int | None
    problem: str
    checked: int  # entries re-hashed by this check (those after the last checkpoint)
    since: int  # the checkpoint it went on from (0: the first entry)
    last_full: audit.FullRun | None  # the latest re-hash of every entry (nightly, or the CLI)


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
    ) -> Page[audit.Entry]:
        entries, total = await audit.list_entries(entity, entity_id, limit, offset)
        return Page(items=entries, total=total)

    @get("/verify", operation_id="VerifyAuditTrail")
    async def verify(self) -> VerificationRead:
        """Check the chain from its last checkpoint (fast); the full re-hash runs nightly."""
        return read_model(VerificationRead, await audit.verify())

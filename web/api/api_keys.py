"""Consignee API keys for administrators: listed and revoked (created under a consignee)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, Parameter

from recall import auth
from recall.actors import Actor
from web.api.schemas import ErrorRead, Limit, Offset, Page, read_model
from web.security import ADMIN_ONLY

ConsigneeCode = Annotated[str | None, Parameter(required=False, max_length=40)]


class ApiKeyRead(msgspec.Struct):
    """A key as stored: its lookup prefix (the first part of `rk_<prefix>_…`), never the key."""

    id: int
    prefix: str
    consignee_code: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


class ApiKeyController(Controller):
    path = "/api/api-keys"
    tags = ["API keys"]
    guards = [ADMIN_ONLY]

    @get("/", operation_id="ListApiKeys")
    async def list_api_keys(
        self,
        request: Request[Actor, Any, Any],
        consignee_code: ConsigneeCode = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ApiKeyRead]:
        keys, total = await auth.list_api_keys(request.user, consignee_code, limit, offset)
        return Page(items=[read_model(ApiKeyRead, key) for key in keys], total=total)

    @delete(
        "/{key_id:int}",
        operation_id="RevokeApiKey",
        status_code=204,
        responses={
            404: ResponseSpec(ErrorRead, description="No such key"),
            409: ResponseSpec(ErrorRead, description="The key was already revoked"),
        },
    )
    async def revoke_api_key(
        self, key_id: FromPath[int], request: Request[Actor, Any, Any]
    ) -> None:
        """Revoke a key: every request made with it answers 401 from now on."""
        await auth.revoke_api_key(request.user, key_id)

"""Operational endpoints: liveness, readiness."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec

from recall import db


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    database: str
    redis: str


class SystemController(Controller):
    tags = ["operations"]

    @get("/health", operation_id="Health", summary="The process is up")
    async def health(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        operation_id="Ready",
        summary="Database and Redis are reachable",
        responses={503: ResponseSpec(data_container=Readiness, description="Not ready")},
    )
    async def ready(self, state: State) -> Response[Readiness]:
        database = await _probe(db.ping())
        redis = await _probe(state.redis.ping())
        ok = database == "ok" and redis == "ok"
        return Response(
            Readiness(status="ok" if ok else "unavailable", database=database, redis=redis),
            status_code=200 if ok else 503,
        )


async def _probe(check: object) -> str:
    try:
        await asyncio.wait_for(check, timeout=3)  # type: ignore[arg-type]
    except Exception as exc:  # any failure means "not ready"; the reason is reported
        return f"error: {type(exc).__name__}"
    return "ok"

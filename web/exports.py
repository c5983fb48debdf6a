"""Exports a request asked for: handed to the workers, waited on, served as files.

A worker makes the file. When no worker is running (arq's health-check key is absent, or
Redis is down) or none has taken the export within PICKUP_SECONDS, this process makes it
itself: the data read here, the drawing and writing in threads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from arq.constants import default_queue_name, health_check_key_suffix
from litestar import Request
from litestar.response import File
from redis.exceptions import RedisError

from recall import exports
from recall.errors import NotFound
from recall.exports import Export, ExportStatus
from web.queue import kick

# A worker busy with a fan-out may not take the export for a while; the reader waits this
# long for one before this process makes it (in threads: the loop keeps serving).
PICKUP_SECONDS = 30
POLL_SECONDS = 0.2
WORKER_HEALTH_KEY = default_queue_name + health_check_key_suffix

# Exports this process is making: a reference keeps each alive when its request goes away.
_MAKING: set[asyncio.Task[bool]] = set()


async def worker_running(redis: Any) -> bool:
    """Whether an arq worker is alive (it renews its health-check key every 30 s)."""
    try:
        return bool(await redis.exists(WORKER_HEALTH_KEY))
    except (RedisError, OSError):
        return False


async def _make_here(export_id: int) -> None:
    task = asyncio.create_task(exports.make_export(export_id))
    _MAKING.add(task)
    task.add_done_callback(_MAKING.discard)
    # A reader who leaves does not stop the making: the file is there when they come back.
    await asyncio.shield(task)


async def prepared(request: Request[Any, Any, Any], export: Export, wait_seconds: float) -> Export:
    """`export` once finished, or as it stands after `wait_seconds` (made here when no
    worker takes it)."""
    await kick(request)
    worker = await worker_running(request.app.state.redis)
    started = time.monotonic()
    while not export.finished:
        waited = time.monotonic() - started
        if export.status is ExportStatus.QUEUED and (not worker or waited >= PICKUP_SECONDS):
            await _make_here(export.id)
        elif waited >= wait_seconds:
            break
        else:
            await asyncio.sleep(POLL_SECONDS)
        export = await exports.get_export(request.user, export.id)
    return export


def file_response(export: Export, headers: Mapping[str, str] | None = None) -> File:
    """A ready export's file, streamed: PDFs shown in the browser, tables downloaded."""
    path = exports.file_of(export)
    if not path.is_file():
        # Removed after its retention, or written where this process cannot see (the
        # exports folder must be shared by web and worker processes).
        raise NotFound(f"the file of export {export.id} is not kept here; ask for it again")
    return File(
        path,
        filename=export.file_name or "",
        media_type=export.content_type,
        content_disposition_type="inline" if export.format == "pdf" else "attachment",
        headers=dict(headers or {}),
    )

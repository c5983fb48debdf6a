"""The intake benchmark's yardstick: a bare Litestar endpoint that decodes a complaint like
the service's and stores it with one asyncpg INSERT, with no auth, audit or rules.

Served by uvicorn with the options `recall serve` passes it (tests/benchmarks/served.py:
no uvicorn access log, the same proxy and lifespan settings); the table comes from
`BARE_TABLE`, created by the benchmark beforehand.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, post

BARE_TABLE = """CREATE TABLE bare_complaint (
    id serial PRIMARY KEY, channel text NOT NULL, reporter_name text NOT NULL,
    reporter_kind text NOT NULL, reporter_contact text, gtin text, batch_no text,
    description text NOT NULL, adverse_event boolean NOT NULL,
    sample_available boolean NOT NULL, received_at timestamptz NOT NULL
)"""


class Reporter(msgspec.Struct):
    name: str
    kind: str
    contact: str | None = None


class ComplaintIn(msgspec.Struct):
    channel: str
    reporter: Reporter
    description: str
    adverse_event: bool
    sample_available: bool
    gtin: str | None = None
    batch_no: str | None = None


pool: Any = None


@post("/complaints", status_code=201)
async def log_complaint(data: ComplaintIn) -> dict[str, Any]:
    complaint_id = await pool.fetchval(
        "INSERT INTO bare_complaint (channel, reporter_name, reporter_kind, reporter_contact, "
        "gtin, batch_no, description, adverse_event, sample_available, received_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        data.channel, data.reporter.name, data.reporter.kind, data.reporter.contact,
        data.gtin, data.batch_no, data.description, data.adverse_event, data.sample_available,
        datetime.now(UTC),
    )  # fmt: skip
    return {"id": complaint_id, "status": "received"}


async def open_pool() -> None:
    global pool
    pool = await asyncpg.create_pool(os.environ["RECALL_DATABASE_URL"], max_size=20)


async def close_pool() -> None:
    await pool.close()


def create_app() -> Litestar:
    return Litestar([log_complaint], on_startup=[open_pool], on_shutdown=[close_pool])

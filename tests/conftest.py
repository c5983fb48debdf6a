"""Test environment: a private database and Redis per run, cleaned after every test.

By default the suite runs on a SQLite file and an embedded valkey server. With
RECALL_TEST_DATABASE_URL (postgres://…) it creates a uniquely named database on
that server; with RECALL_TEST_REDIS_URL it uses a free DB index of that Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.servers import admin_execute, claim_redis_db, release_redis_db, with_database

RUN_ID = uuid.uuid4().hex[:12]
TMP = Path(tempfile.mkdtemp(prefix=f"recall-{RUN_ID[:6]}-"))
SERVER_DATABASE_URL = os.environ.get("RECALL_TEST_DATABASE_URL", "")
SERVER_REDIS_URL = os.environ.get("RECALL_TEST_REDIS_URL", "")
TEST_DATABASE = f"recall_test_{RUN_ID}"


os.environ["RECALL_MODE"] = "test"
os.environ["RECALL_SECRET_KEY"] = "test-secret-key-" + "x" * 32
os.environ["RECALL_DATA_DIR"] = str(TMP)
os.environ["RECALL_DATABASE_URL"] = (
    with_database(SERVER_DATABASE_URL, TEST_DATABASE)
    if SERVER_DATABASE_URL
    else f"sqlite:///{TMP / 'recall.sqlite3'}"
)
os.environ["PICCOLO_CONF"] = "recall.db.piccolo_conf"
# The tests' webhook receivers listen on 127.0.0.1 (worker processes inherit this too);
# tests of the destination rule itself use the public_webhooks_only fixture.
os.environ["RECALL_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"

_embedded_redis = None
_app: Any = None


async def _admin_execute(statement: str) -> None:
    await admin_execute(SERVER_DATABASE_URL, statement)


def pytest_configure(config: pytest.Config) -> None:
    global _embedded_redis
    if SERVER_DATABASE_URL:
        asyncio.run(_admin_execute(f'CREATE DATABASE "{TEST_DATABASE}"'))
    if SERVER_REDIS_URL:
        os.environ["RECALL_REDIS_URL"] = asyncio.run(claim_redis_db(SERVER_REDIS_URL, RUN_ID))
    else:
        from recall.embedded import start_redis

        _embedded_redis = start_redis(TMP / "redis", persist=False)
        os.environ["RECALL_REDIS_URL"] = _embedded_redis.url

    from recall import db
    from recall.settings import get_settings

    # Folder conftests load before this hook and may have read the settings without Redis.
    get_settings.cache_clear()

    with contextlib.redirect_stdout(io.StringIO()):  # piccolo prints progress
        asyncio.run(db.run_migrations())


def pytest_unconfigure(config: pytest.Config) -> None:
    if SERVER_DATABASE_URL:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{TEST_DATABASE}" WITH (FORCE)'))
    if SERVER_REDIS_URL:
        release_redis_db(os.environ["RECALL_REDIS_URL"])
    if _embedded_redis is not None:
        _embedded_redis.stop()
    shutil.rmtree(TMP, ignore_errors=True)


async def _clean_tables() -> None:
    import sqlite3

    from recall import db
    from recall.db.piccolo_app import APP_CONFIG
    from recall.settings import get_settings

    names = [table._meta.tablename for table in APP_CONFIG.table_classes]
    # Checkpoints of this test's audit chain would report the next test's chain as cut.
    shutil.rmtree(get_settings().audit_checkpoint_dir, ignore_errors=True)
    if SERVER_DATABASE_URL:
        # DELETE with triggers off (foreign keys, append-only audit) is far quicker than
        # TRUNCATE of every table after each test.
        async with db.transaction():
            await db.fetch("SET LOCAL session_replication_role = replica")
            for name in names:
                await db.fetch(f"DELETE FROM {name}")
        return
    # Foreign keys off for the clean-up: RESTRICT refuses self-references row by row.
    with contextlib.closing(sqlite3.connect(get_settings().sqlite_path, timeout=30)) as connection:
        connection.execute("PRAGMA foreign_keys = OFF")
        with connection:
            # The append-only triggers are dropped and made again in the same transaction.
            triggers = connection.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            ).fetchall()
            for name, _ in triggers:
                connection.execute(f"DROP TRIGGER {name}")
            for name in names:
                connection.execute(f"DELETE FROM {name}")
            for _, sql in triggers:
                connection.execute(sql)


@pytest_asyncio.fixture(autouse=True)
async def clean_database() -> AsyncIterator[None]:
    yield
    await _clean_tables()


@pytest.fixture
def public_webhooks_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings as every installation has them by default: no network admitted for webhooks."""
    from recall.settings import get_settings

    monkeypatch.setenv("RECALL_WEBHOOK_ALLOWED_NETWORKS", "")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def frozen_clock() -> Iterator[list[datetime]]:
    """A clock standing still at the real now; the test moves it by assigning `[0]`."""
    from recall import clock

    now = [datetime.now(UTC)]
    clock.set_clock(lambda: now[0])
    yield now
    clock.set_clock(None)


@pytest.fixture
def move_to(frozen_clock: list[datetime]) -> Callable[[datetime], None]:
    """Set the clock to a moment (START at first; it stays there until moved again)."""
    from tests.factories import START

    frozen_clock[0] = START

    def move(moment: datetime) -> None:
        frozen_clock[0] = moment

    return move


@pytest.fixture
def bpom_and_fda(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An installation whose complaints answer to BPOM and FDA (RECALL_COMPLAINT_PROFILES)."""
    from recall.settings import get_settings

    monkeypatch.setenv("RECALL_COMPLAINT_PROFILES", "bpom,fda")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings() -> Iterator[object]:
    from recall.settings import get_settings

    yield get_settings()


@pytest_asyncio.fixture
async def client() -> AsyncIterator[object]:
    import httpx

    from tests.harness import running
    from web.app import create_app

    # Same event loop as the test (Litestar's AsyncTestClient runs the app in a
    # thread, where a PostgreSQL pool from the test loop cannot be used). One app for the
    # run (building it costs ~0.1 s); its in-memory stores (rate limits) start empty per test.
    global _app
    if _app is None:
        _app = create_app()
    app = _app
    for name in list(app.stores._stores):
        await app.stores.get(name).delete_all()
    transport = httpx.ASGITransport(app=app)
    async with (
        running(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client,
    ):
        yield test_client

"""Engine construction for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from recall.settings import Settings

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def postgres_config(url: str, pooler: str = "none") -> dict[str, object]:
    """asyncpg connection arguments from a postgres:// URL, and for the pooler in between."""
    parts = urlsplit(url)
    config: dict[str, object] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "database": parts.path.lstrip("/") or "postgres",
    }
    if parts.password:
        config["password"] = unquote(parts.password)
    if pooler != "none":
        # A pooler in transaction mode hands each transaction any server connection, where a
        # statement asyncpg prepared and cached on another does not exist; with no cache,
        # asyncpg sends each statement's text again with the values that run it.
        config["statement_cache_size"] = 0
    return config


def build_engine(settings: Settings) -> Engine:
    """The engine for the configured database; SQLite files are put in WAL mode."""
    if settings.is_sqlite:
        path = settings.sqlite_path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        enable_wal(path)
        return SQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return PostgresEngine(config=postgres_config(settings.database_url, settings.database_pooler))


def enable_wal(path: str) -> None:
    """WAL lets readers run beside the single writer; the mode persists in the file."""
    with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as connection:
        connection.execute("PRAGMA journal_mode=WAL")

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


def postgres_config(url: str) -> dict[str, object]:
    """asyncpg connection arguments from a postgres:// URL."""
    parts = urlsplit(url)
    config: dict[str, object] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "database": parts.path.lstrip("/") or "postgres",
    }
    if parts.password:
        config["password"] = unquote(parts.password)
    return config


def build_engine(settings: Settings) -> Engine:
    """The engine for the configured database; SQLite files are put in WAL mode."""
    if settings.is_sqlite:
        path = settings.sqlite_path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        enable_wal(path)
        return SQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return PostgresEngine(config=postgres_config(settings.database_url))


def enable_wal(path: str) -> None:
    """WAL lets readers run beside the single writer; the mode persists in the file."""
    with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as connection:
        connection.execute("PRAGMA journal_mode=WAL")

"""RECALL_DATABASE_POOLER and RECALL_DATABASE_POOL_SIZE: what reaches asyncpg, and bad values
refused by name."""

from __future__ import annotations

import os

import pytest

from recall.db._engine import postgres_config
from recall.errors import ConfigurationError
from recall.settings import load_settings

POSTGRES = "postgres://recall:pw@db:6432/recall"


@pytest.fixture
def environment(monkeypatch):
    """A clean RECALL_* environment for one test (the suite's own values removed)."""
    for name in list(os.environ):
        if name.startswith("RECALL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RECALL_MODE", "test")
    return monkeypatch


def test_straight_to_postgresql_by_default(environment):
    environment.setenv("RECALL_DATABASE_URL", POSTGRES)
    settings = load_settings()
    settings.check()
    assert (settings.database_pooler, settings.database_pool_size) == ("none", 20)
    assert "statement_cache_size" not in postgres_config(POSTGRES, settings.database_pooler)


@pytest.mark.parametrize("value", ["pgbouncer", " PgBouncer "])
def test_behind_pgbouncer_asyncpg_keeps_no_prepared_statements(environment, value):
    environment.setenv("RECALL_DATABASE_URL", POSTGRES)
    environment.setenv("RECALL_DATABASE_POOLER", value)
    settings = load_settings()
    settings.check()
    config = postgres_config(POSTGRES, settings.database_pooler)
    assert config["statement_cache_size"] == 0
    assert (config["host"], config["port"], config["database"]) == ("db", 6432, "recall")


def test_an_empty_pooler_means_none(environment):
    # Compose files pass unset variables on as empty strings.
    environment.setenv("RECALL_DATABASE_URL", POSTGRES)
    environment.setenv("RECALL_DATABASE_POOLER", "")
    assert load_settings().database_pooler == "none"


def test_the_pool_size_is_read(environment):
    environment.setenv("RECALL_DATABASE_POOL_SIZE", "7")
    assert load_settings().database_pool_size == 7


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "RECALL_DATABASE_POOLER",
            "pgpool",
            "RECALL_DATABASE_POOLER must be one of none, pgbouncer",
        ),
        ("RECALL_DATABASE_POOL_SIZE", "0", "RECALL_DATABASE_POOL_SIZE must be at least 1"),
        ("RECALL_DATABASE_POOL_SIZE", "-3", "RECALL_DATABASE_POOL_SIZE must be at least 1"),
        ("RECALL_DATABASE_POOL_SIZE", "many", "RECALL_DATABASE_POOL_SIZE must be a whole number"),
    ],
)
def test_bad_values_are_refused_by_name(environment, name, value, message):
    environment.setenv("RECALL_DATABASE_URL", POSTGRES)
    environment.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        load_settings().check()


def test_a_pooler_in_front_of_sqlite_is_refused(environment):
    environment.setenv("RECALL_DATABASE_POOLER", "pgbouncer")
    with pytest.raises(ConfigurationError, match="RECALL_DATABASE_POOLER applies to PostgreSQL"):
        load_settings().check()

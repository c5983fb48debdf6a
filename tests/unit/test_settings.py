"""Settings come from RECALL_* variables; unsafe or malformed values stop the process."""

from pathlib import Path

import pytest

from recall.errors import ConfigurationError
from recall.settings import DEFAULT_SECRET_KEY, load_settings

STRONG_KEY = "k" * 40


@pytest.fixture
def environment(monkeypatch):
    """A clean RECALL_* environment for one test (the suite's own values removed)."""
    import os

    for name in list(os.environ):
        if name.startswith("RECALL_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_values_are_read_from_the_environment(environment):
    environment.setenv("RECALL_DATABASE_URL", "postgres://recall:pw@db:5432/recall")
    environment.setenv("RECALL_REDIS_URL", "redis://cache:6379/2")
    environment.setenv("RECALL_SECRET_KEY", STRONG_KEY)
    environment.setenv("RECALL_HOST", "0.0.0.0")
    environment.setenv("RECALL_PORT", "9000")
    environment.setenv("RECALL_PUBLIC_URL", "https://recall.example.co.id/")
    environment.setenv("RECALL_DATA_DIR", "/var/lib/recall")
    environment.setenv("RECALL_SMTP_HOST", "smtp.example.co.id")
    environment.setenv("RECALL_SMTP_PORT", "2525")
    environment.setenv("RECALL_SMTP_STARTTLS", "false")
    settings = load_settings()
    settings.check()
    assert not settings.is_sqlite
    assert settings.redis_url == "redis://cache:6379/2"
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)
    assert settings.public_url == "https://recall.example.co.id"
    assert settings.data_dir == Path("/var/lib/recall")
    assert settings.smtp.configured
    assert (settings.smtp.host, settings.smtp.port) == ("smtp.example.co.id", 2525)
    assert settings.smtp.starttls is False


def test_sqlite_file_follows_the_data_dir(environment):
    environment.setenv("RECALL_DATA_DIR", "/tmp/demo-data")
    assert load_settings().database_url == "sqlite:////tmp/demo-data/recall.sqlite3"
    assert load_settings().sqlite_path == "/tmp/demo-data/recall.sqlite3"


def test_production_refuses_the_built_in_secret_key(environment):
    with pytest.raises(ConfigurationError, match="RECALL_SECRET_KEY"):
        load_settings().check()


def test_production_refuses_a_short_secret_key(environment):
    environment.setenv("RECALL_SECRET_KEY", "short")
    with pytest.raises(ConfigurationError, match="at least 32"):
        load_settings().check()


@pytest.mark.parametrize("mode", ["demo", "development", "test"])
def test_other_modes_accept_the_built_in_key(environment, mode):
    environment.setenv("RECALL_MODE", mode)
    settings = load_settings()
    assert settings.secret_key == DEFAULT_SECRET_KEY
    settings.check()


@pytest.mark.parametrize("name", ["PORT", "SMTP_PORT", "TOKEN_TTL_MINUTES"])
def test_a_number_that_is_not_a_number_is_refused(environment, name):
    environment.setenv(f"RECALL_{name}", "eighty")
    with pytest.raises(ConfigurationError, match=f"RECALL_{name} must be a whole number"):
        load_settings()


@pytest.mark.parametrize("url", ["mysql://db/recall", "recall.sqlite3", "sqlite://relative.db"])
def test_an_unsupported_database_url_is_refused(environment, url):
    environment.setenv("RECALL_SECRET_KEY", STRONG_KEY)
    environment.setenv("RECALL_DATABASE_URL", url)
    with pytest.raises(ConfigurationError, match="RECALL_DATABASE_URL"):
        load_settings().check()

"""Unit tests: the domain's rules on plain values, with no database to clean after them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from recall.regulatory import PROFILE_NAMES, load_profile
from recall.regulatory._profiles import SHIPPED_DIR


@pytest.fixture(autouse=True)
def clean_database() -> None:
    """Nothing to clean: unit tests write no rows."""


@pytest.fixture
def profiles_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of the shipped regulatory profiles that RECALL_PROFILES_DIR points at."""
    for name in PROFILE_NAMES:
        shutil.copy(SHIPPED_DIR / f"{name}.toml", tmp_path / f"{name}.toml")
    monkeypatch.setenv("RECALL_PROFILES_DIR", str(tmp_path))
    load_profile.cache_clear()
    yield tmp_path
    load_profile.cache_clear()

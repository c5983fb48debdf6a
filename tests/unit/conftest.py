"""Unit tests: the domain's rules on plain values, with no database to clean after them."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def clean_database() -> None:
    """Nothing to clean: unit tests write no rows."""

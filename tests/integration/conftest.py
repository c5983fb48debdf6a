"""Fixtures of the integration tests: switching the secret key as an operator rotating it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest


@pytest.fixture
def rotate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Switch RECALL_SECRET_KEY, listing the keys it replaced (newest first)."""
    from recall.settings import get_settings

    def switch(secret: str, *previous: str) -> None:
        monkeypatch.setenv("RECALL_SECRET_KEY", secret)
        monkeypatch.setenv("RECALL_PREVIOUS_SECRET_KEYS", ",".join(previous))
        get_settings.cache_clear()

    yield switch
    monkeypatch.undo()
    get_settings.cache_clear()

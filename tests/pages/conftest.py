"""Fixtures of the page tests: a client signed in through the login form."""

from __future__ import annotations

import pytest

from recall.auth import User
from tests.factories import two_tier_recall
from tests.pages.helpers import signed_in_as


@pytest.fixture
async def qa(client) -> User:
    """The client signed in as a new QA user; that user."""
    return await signed_in_as(client, "qa")


@pytest.fixture
async def two_tiers(client) -> dict:
    """Two batches at two tiers of consignees, recalled (see `two_tier_recall`)."""
    return await two_tier_recall(client)

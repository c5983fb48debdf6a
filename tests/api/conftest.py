"""Fixtures of the API tests: signed-in headers and approved recalls to consignees."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recall.clock import today
from tests.factories import (
    approved_recall,
    headers_for,
    make_batch,
    make_consignee,
    recent_batch,
    ship,
    two_tier_recall,
)
from tests.reads import my_notices


@pytest.fixture
async def qa() -> dict[str, str]:
    """Headers of a new QA user."""
    return await headers_for("qa")


@pytest.fixture
async def world(client) -> dict:
    """One batch shipped to a PBF, which passed some on to a pharmacy; the recall is approved."""
    batch = await recent_batch()
    pbf = await make_consignee("A-PBF")
    pharmacy = await make_consignee("C-APT", kind="pharmacy")
    await ship(batch, pbf, 1000)
    await ship(batch, pharmacy, 40, sender=pbf)
    recall = await approved_recall(client, batch)
    return {
        "batch": batch,
        "pbf": pbf,
        "pharmacy": pharmacy,
        "recall": recall,
        "pbf_headers": await headers_for("distributor", consignee_code=pbf.code),
        "pharmacy_headers": await headers_for("distributor", consignee_code=pharmacy.code),
    }


@pytest.fixture
async def two_tiers(client) -> dict:
    """Two batches at two tiers of consignees, recalled (see `two_tier_recall`)."""
    return await two_tier_recall(client)


@pytest.fixture
async def chain(client) -> dict:
    """A PBF received 1000 of a batch from us; a known pharmacy and another PBF exist."""
    batch = await recent_batch()
    other = await make_batch(
        manufactured_on=today() - timedelta(days=60), expires_on=today() + timedelta(days=600)
    )
    pbf = await make_consignee("W-PBF", name="PBF Sehat Sentosa")
    rival = await make_consignee("R-PBF", name="PBF Lain")
    known = await make_consignee(
        "K-APT", name="Apotek Kenanga", kind="pharmacy", webhook_url="https://kenanga.example/hook"
    )
    await ship(batch, pbf, 1000)
    await ship(other, pbf, 50)
    await ship(batch, rival, 10)
    recall = await approved_recall(client, batch, batch_ids=[batch.id, other.id])
    pbf_headers = await headers_for("distributor", consignee_code=pbf.code)
    notice = (await my_notices(client, pbf_headers))["items"][0]
    return {
        "batch": batch,
        "other": other,
        "pbf": pbf,
        "rival": rival,
        "known": known,
        "recall": recall,
        "headers": pbf_headers,
        "notice": notice,
        "path": f"/api/notices/{notice['id']}/sub-consignees",
    }

"""The demo works with no network admitted for webhooks (the default in every mode): a recall
of a demo batch reaches every sample consignee, through the worker's real sender, with no
failure and no alert for QA."""

from __future__ import annotations

import pytest

from recall import db, demo, masterdata
from recall.settings import get_settings
from tests.factories import approved_recall, headers_for
from tests.workers.delivery_setup import FakeSender, deliver_over_the_network


@pytest.mark.usefixtures("public_webhooks_only")
async def test_an_approved_demo_recall_reaches_every_sample_consignee(client):
    assert get_settings().webhook_allowed_networks == ()
    assert await demo.load()
    consignees, _ = await masterdata.list_consignees(limit=100)
    assert consignees and all(c.email for c in consignees)
    assert not [c.code for c in consignees if c.webhook_url], "no loopback receivers"

    batches, _ = await masterdata.list_batches(limit=100)
    newest = max(batches, key=lambda batch: batch.manufactured_on)
    await approved_recall(client, newest, depth="retail")
    await deliver_over_the_network()

    deliveries = await db.fetch("SELECT channel, status, last_error FROM delivery")
    assert deliveries
    assert {(row["channel"], row["status"], row["last_error"]) for row in deliveries} == {
        ("email", "delivered", None)
    }
    statuses = await db.fetch("SELECT DISTINCT status FROM notice")
    assert "failed" not in {row["status"] for row in statuses}
    alerts = await client.get("/api/alerts", headers=await headers_for("qa"))
    assert alerts.status_code == 200
    assert [a for a in alerts.json()["items"] if a["kind"] == "delivery_failed"] == []


async def test_the_demo_recall_grew_destroyed_stock_and_a_tablet_batch_is_held(client):
    assert await demo.load(FakeSender())
    qa = await headers_for("qa")
    [listed] = (await client.get("/api/recalls", headers=qa)).json()["items"]
    recall = (await client.get(f"/api/recalls/{listed['id']}", headers=qa)).json()
    [amendment] = recall["amendments"]
    assert amendment["status"] == "approved" and amendment["signature"]
    # Both solvent lots' syrups: two batches of each of three syrups per lot.
    assert len(recall["batches"]) == 12
    updates = await db.fetch("SELECT status FROM delivery WHERE message = 'update'")
    assert updates and {row["status"] for row in updates} == {"delivered"}
    destroyed = await client.get(f"/api/recalls/{listed['id']}/destructions", headers=qa)
    [record] = destroyed.json()["items"]
    assert record["document_no"] and record["witnesses"][0]["agency"].startswith("Balai Besar POM")
    held = await db.fetch("SELECT batch_no FROM batch WHERE status = 'on_hold'")
    assert [row["batch_no"][:3] for row in held] == ["PCT"]

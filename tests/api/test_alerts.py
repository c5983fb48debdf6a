"""QA sees alerts raised by the system and takes them on."""

from __future__ import annotations

from recall import alerts, audit, db
from recall.alerts import AlertKind
from tests.factories import headers_for


async def raise_one(detail: str = "notice to PBF-1 failed: 410 Gone") -> int:
    async with db.transaction():
        return await alerts.raise_alert(AlertKind.DELIVERY_FAILED, detail)


async def test_qa_lists_reads_and_acknowledges_an_alert(client):
    alert_id = await raise_one()
    qa = await headers_for("qa")

    listed = await client.get("/api/alerts", headers=qa)
    assert listed.status_code == 200
    assert listed.json()["total"] == 1
    item = listed.json()["items"][0]
    assert item["id"] == alert_id
    assert item["kind"] == "delivery_failed"
    assert item["acknowledged_at"] is None

    taken = await client.post(f"/api/alerts/{alert_id}/acknowledge", headers=qa)
    assert taken.status_code == 200
    first_time = taken.json()["acknowledged_at"]
    assert first_time is not None

    again = await client.post(f"/api/alerts/{alert_id}/acknowledge", headers=qa)
    assert again.json()["acknowledged_at"] == first_time
    actions = [entry.action for entry in (await audit.history("alert", alert_id))]
    assert actions == ["raised", "acknowledged"]


async def test_open_filter_and_kind_filter(client):
    first = await raise_one()
    async with db.transaction():
        await alerts.raise_alert(AlertKind.DEADLINE_PASSED, "wholesale level deadline passed")
    qa = await headers_for("qa")
    await client.post(f"/api/alerts/{first}/acknowledge", headers=qa)

    still_open = await client.get("/api/alerts?open=true", headers=qa)
    assert [item["kind"] for item in still_open.json()["items"]] == ["deadline_passed"]
    failed = await client.get("/api/alerts?kind=delivery_failed", headers=qa)
    assert [item["id"] for item in failed.json()["items"]] == [first]
    bad = await client.get("/api/alerts?kind=nonsense", headers=qa)
    assert bad.status_code == 400
    assert "kind" in bad.json()["detail"]


async def test_inspector_reads_but_cannot_acknowledge_and_cs_cannot_read(client):
    alert_id = await raise_one()
    inspector = await headers_for("inspector")
    assert (await client.get(f"/api/alerts/{alert_id}", headers=inspector)).status_code == 200
    refused = await client.post(f"/api/alerts/{alert_id}/acknowledge", headers=inspector)
    assert refused.status_code == 403
    assert (await client.get("/api/alerts", headers=await headers_for("cs"))).status_code == 403


async def test_unknown_alert_is_not_found(client):
    qa = await headers_for("qa")
    assert (await client.get("/api/alerts/999999", headers=qa)).status_code == 404
    missing = await client.post("/api/alerts/99999999999/acknowledge", headers=qa)
    assert missing.status_code == 404


async def test_an_alert_outside_a_transaction_is_refused():
    try:
        await alerts.raise_alert(AlertKind.CHECK_FAILED, "x")
    except RuntimeError:
        pass
    else:  # pragma: no cover - the audit chain must be written with the change
        raise AssertionError("raise_alert must run inside the causing transaction")

"""Effectiveness checks at FDA levels A-E over a reproducible sample, and their outcomes."""

from __future__ import annotations

import pytest

from recall import db
from recall.recalls import draw_sample
from tests.factories import (
    LABEL_MIX_UP,
    PASSWORD,
    approved_recall,
    headers_for,
    make_batch,
    make_consignee,
    propose,
    recent_batch,
    ship,
)

CONSIGNEES = 12


@pytest.fixture
async def twelve(client):
    """A batch shipped to twelve wholesalers; the recall is approved (twelve notices)."""
    batch = await recent_batch()
    for number in range(CONSIGNEES):
        await ship(batch, await make_consignee(f"PBF-{number:02d}"), 10 + number)
    return await approved_recall(client, batch)


async def start(client, recall_id, level: str, sample_percent=None, role: str = "qa"):
    body: dict = {"level": level}
    if sample_percent is not None:
        body["sample_percent"] = sample_percent
    return await client.post(
        f"/api/recalls/{recall_id}/effectiveness-checks",
        json=body,
        headers=await headers_for(role),
    )


async def started(client, recall_id, level: str, sample_percent=None) -> dict:
    response = await start(client, recall_id, level, sample_percent)
    assert response.status_code == 201, response.text
    return response.json()


async def notice_ids(client, recall_id) -> list[int]:
    response = await client.get(
        f"/api/recalls/{recall_id}/notices", params={"limit": 500}, headers=await headers_for("qa")
    )
    return [item["id"] for item in response.json()["items"]]


async def record(client, check, contact, role: str = "qa", **body):
    return await client.post(
        f"/api/effectiveness-checks/{check['id']}/contacts/{contact['id']}",
        json={"method": "phone", "outcome": "effective", **body},
        headers=await headers_for(role),
    )


@pytest.mark.parametrize(
    ("level", "sample_percent", "percent", "size"),
    [
        ("A", None, 100, 12),
        ("B", 50, 50, 6),
        ("B", 11, 11, 2),  # ceil(1.32)
        ("C", None, 10, 2),  # ceil(1.2)
        ("C", 10, 10, 2),
        ("D", None, 2, 1),  # at least one
        ("E", None, 0, 0),
        ("E", 0, 0, 0),
    ],
)
async def test_levels_sample_their_share(client, twelve, level, sample_percent, percent, size):
    check = await started(client, twelve["id"], level, sample_percent)
    assert check["level"] == level
    assert check["sample_percent"] == percent
    assert check["population"] == CONSIGNEES
    assert check["contacts_total"] == len(check["contacts"]) == size
    assert (check["contacted"], check["effective"], check["ineffective"]) == (0, 0, 0)
    assert check["pending"] == size
    ids = await notice_ids(client, twelve["id"])
    drawn = [contact["notice_id"] for contact in check["contacts"]]
    assert len(set(drawn)) == size
    assert set(drawn) <= set(ids)
    # Anyone can redraw the same sample from the stored seed and the recall's notices.
    assert sorted(drawn) == draw_sample(ids, percent, int(check["seed"]))


async def test_contacts_name_the_consignee_and_its_notice(client, two_tiers):
    check = await started(client, two_tiers["recall"]["id"], "A")
    shown = {
        (c["consignee_code"], c["tier"], c["notice_status"], c["notice_id"])
        for c in check["contacts"]
    }
    assert shown == {
        (code, 1 if code.startswith("PBF") else 2, "pending", two_tiers["notices"][code])
        for code in ("PBF-A", "PBF-B", "APT-C", "RS-D")
    }
    assert all(c["consignee_name"] for c in check["contacts"])
    assert all(c["outcome"] is None and c["method"] is None for c in check["contacts"])


async def test_two_checks_draw_with_their_own_seeds(client, twelve):
    first = await started(client, twelve["id"], "B", 50)
    second = await started(client, twelve["id"], "B", 50)
    assert first["seed"] != second["seed"]
    page = await client.get(
        f"/api/recalls/{twelve['id']}/effectiveness-checks", headers=await headers_for("inspector")
    )
    assert page.status_code == 200, page.text
    assert page.json()["total"] == 2
    assert [item["id"] for item in page.json()["items"]] == [first["id"], second["id"]]
    assert page.json()["items"][0]["contacts_total"] == 6
    assert "contacts" not in page.json()["items"][0]
    stored = await db.fetch("SELECT seed FROM effectiveness_check WHERE id = {}", first["id"])
    assert stored[0]["seed"] == first["seed"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level": "B"}, "sample_percent"),
        ({"level": "B", "sample_percent": 10}, "sample_percent"),
        ({"level": "B", "sample_percent": 100}, "sample_percent"),
        ({"level": "A", "sample_percent": 50}, "sample_percent"),
        ({"level": "C", "sample_percent": 2}, "sample_percent"),
        ({"level": "D", "sample_percent": 10}, "sample_percent"),
        ({"level": "E", "sample_percent": 5}, "sample_percent"),
        ({"level": "B", "sample_percent": 101}, "sample_percent"),
        ({"level": "F"}, "level"),
        ({}, "level"),
    ],
)
async def test_bad_levels_are_refused(client, twelve, body, field):
    response = await client.post(
        f"/api/recalls/{twelve['id']}/effectiveness-checks",
        json=body,
        headers=await headers_for("qa"),
    )
    assert response.status_code in (400, 422), response.text
    assert field in response.json()["detail"]
    assert await db.fetch("SELECT id FROM effectiveness_check") == []


async def test_outcomes_are_counted_and_audited(client, twelve):
    check = await started(client, twelve["id"], "C")
    first, _ = check["contacts"]
    response = await record(client, check, first, method="visit", notes="Stock quarantined")
    assert response.status_code == 200, response.text
    shown = response.json()
    assert (shown["method"], shown["outcome"], shown["notes"]) == (
        "visit",
        "effective",
        "Stock quarantined",
    )
    assert shown["checked_at"] is not None
    assert shown["checked_by_name"]
    again = (
        await client.get(
            f"/api/effectiveness-checks/{check['id']}", headers=await headers_for("qa_manager")
        )
    ).json()
    assert (again["contacted"], again["effective"], again["ineffective"], again["pending"]) == (
        1,
        1,
        0,
        1,
    )
    trail = await client.get(
        "/api/audit",
        params={"entity": "effectiveness_contact", "entity_id": str(first["id"])},
        headers=await headers_for("admin"),
    )
    assert [entry["action"] for entry in trail.json()["items"]] == ["recorded"]
    check_trail = await client.get(
        "/api/audit",
        params={"entity": "effectiveness_check", "entity_id": str(check["id"])},
        headers=await headers_for("admin"),
    )
    assert [entry["action"] for entry in check_trail.json()["items"]] == ["started"]


async def test_ineffective_outcome_raises_an_alert(client, two_tiers):
    recall_id = two_tiers["recall"]["id"]
    check = await started(client, recall_id, "A")
    contact = next(c for c in check["contacts"] if c["consignee_code"] == "APT-C")
    response = await record(client, check, contact, outcome="ineffective", notes="Still on shelf")
    assert response.status_code == 200, response.text
    alerts = await client.get(
        "/api/alerts",
        params={"recall_id": recall_id, "kind": "effectiveness_check_failed"},
        headers=await headers_for("qa"),
    )
    assert alerts.status_code == 200, alerts.text
    (alert,) = alerts.json()["items"]
    assert "APT-C" in alert["detail"]
    assert "level A" in alert["detail"]
    assert alert["notice_id"] == two_tiers["notices"]["APT-C"]
    assert alert["consignee_code"] == "APT-C"
    # An effective outcome raises none.
    other = next(c for c in check["contacts"] if c["consignee_code"] == "PBF-A")
    assert (await record(client, check, other)).status_code == 200
    rows = await db.fetch("SELECT COUNT(*) AS n FROM alert WHERE recall = {}", recall_id)
    assert int(rows[0]["n"]) == 1


async def test_recording_twice_needs_a_correction_reason(client, twelve):
    check = await started(client, twelve["id"], "D")
    (contact,) = check["contacts"]
    assert (await record(client, check, contact)).status_code == 200
    twice = await record(client, check, contact, outcome="ineffective")
    assert twice.status_code == 409, twice.text
    assert "correction_reason" in twice.json()["detail"]
    assert await db.fetch("SELECT id FROM alert") == []

    corrected = await record(
        client,
        check,
        contact,
        outcome="ineffective",
        method="visit",
        correction_reason="Phone answer was wrong; the visit found stock on sale",
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["outcome"] == "ineffective"
    assert len(await db.fetch("SELECT id FROM alert")) == 1
    trail = await client.get(
        "/api/audit",
        params={"entity": "effectiveness_contact", "entity_id": str(contact["id"])},
        headers=await headers_for("admin"),
    )
    entries = {entry["action"]: entry for entry in trail.json()["items"]}
    assert sorted(entries) == ["corrected", "recorded"]
    assert entries["corrected"]["reason"].startswith("Phone answer was wrong")
    assert entries["corrected"]["old_values"]["outcome"] == "effective"
    assert entries["corrected"]["new_values"]["outcome"] == "ineffective"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "email"}, "method"),
        ({"outcome": "maybe"}, "outcome"),
        ({"notes": "x" * 5001}, "notes"),
    ],
)
async def test_bad_outcomes_are_refused(client, twelve, body, field):
    check = await started(client, twelve["id"], "D")
    (contact,) = check["contacts"]
    response = await record(client, check, contact, **body)
    assert response.status_code in (400, 422), response.text
    assert field in response.json()["detail"]
    shown = (
        await client.get(
            f"/api/effectiveness-checks/{check['id']}", headers=await headers_for("qa")
        )
    ).json()
    assert shown["contacted"] == 0


async def test_unknown_checks_and_contacts_are_404(client, twelve):
    check = await started(client, twelve["id"], "D")
    other = await started(client, twelve["id"], "D")
    (contact,) = check["contacts"]
    assert (await record(client, other, contact)).status_code == 404
    assert (await record(client, check, {"id": 999_999})).status_code == 404
    assert (await record(client, {"id": 2**40}, contact)).status_code == 404
    missing = await client.get("/api/effectiveness-checks/999999", headers=await headers_for("qa"))
    assert missing.status_code == 404
    for path in (
        "/api/recalls/999999/effectiveness-checks",
        "/api/recalls/999999/effectiveness-checks",
    ):
        assert (await client.get(path, headers=await headers_for("qa"))).status_code == 404
    assert (await start(client, 999_999, "A")).status_code == 404


async def test_roles(client, twelve):
    for role in ("qa_manager", "inspector", "cs"):
        assert (await start(client, twelve["id"], "A", role=role)).status_code == 403, role
    distributor = await client.post(
        f"/api/recalls/{twelve['id']}/effectiveness-checks",
        json={"level": "A"},
        headers=await headers_for("distributor", consignee_code="PBF-00"),
    )
    assert distributor.status_code == 403
    check = await started(client, twelve["id"], "D")
    (contact,) = check["contacts"]
    assert (await record(client, check, contact, role="qa_manager")).status_code == 403
    read = await client.get(
        f"/api/effectiveness-checks/{check['id']}", headers=await headers_for("cs")
    )
    assert read.status_code == 403


async def test_only_in_progress_recalls_are_checked(client, twelve):
    batch = await make_batch()
    proposed = await propose(client, batch_ids=[batch.id], **LABEL_MIX_UP)
    assert (await start(client, proposed["id"], "A")).status_code == 409

    check = await started(client, twelve["id"], "D")
    (contact,) = check["contacts"]
    closed = await client.post(
        f"/api/recalls/{twelve['id']}/close",
        json={"password": PASSWORD, "meaning": "Closed", "justification": "Drill"},
        headers=await headers_for("qa_manager"),
    )
    assert closed.status_code == 200, closed.text
    assert (await start(client, twelve["id"], "A")).status_code == 409
    assert (await record(client, check, contact)).status_code == 409
    # Still readable after closure.
    read = await client.get(
        f"/api/effectiveness-checks/{check['id']}", headers=await headers_for("qa")
    )
    assert read.status_code == 200

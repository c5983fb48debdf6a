"""Batch status over HTTP: hold and release, recall approval, refused shipments, late records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

from recall import db, masterdata
from recall.clock import today
from tests.api.helpers import HEADER, post_csv
from tests.factories import (
    approve,
    approved_recall,
    headers_for,
    make_complaint,
    make_consignee,
    propose,
    recent_batch,
    ship,
)
from tests.reads import audit_entries


def days_ago(days: int) -> str:
    return (today() - timedelta(days=days)).isoformat()


def shipment(batch: masterdata.Batch, code: str, shipped_on: str) -> dict[str, object]:
    return {
        "gtin": batch.gtin,
        "batch_no": batch.batch_no,
        "consignee_code": code,
        "quantity": 25,
        "shipped_on": shipped_on,
    }


async def hold(client, batch_id: int, reason: str = "Out-of-trend assay", headers=None):
    return await client.post(
        f"/api/batches/{batch_id}/hold",
        json={"reason": reason},
        headers=headers or await headers_for("qa"),
    )


async def release(
    client, batch_id: int, reason: str = "Assay repeated within limits", headers=None
):
    return await client.post(
        f"/api/batches/{batch_id}/release",
        json={"reason": reason},
        headers=headers or await headers_for("qa"),
    )


async def batch_read(client, batch_id: int) -> dict:
    response = await client.get(f"/api/batches/{batch_id}", headers=await headers_for("qa"))
    assert response.status_code == 200, response.text
    return response.json()


async def batch_trail(client, batch_id: int) -> list[dict]:
    return await audit_entries(client, "batch", batch_id)


async def late_jobs() -> list[dict]:
    rows = await db.fetch(
        "SELECT payload FROM outbox WHERE job = {} ORDER BY id", masterdata.LATE_SHIPMENTS_JOB
    )
    return [json.loads(row["payload"]) for row in rows]


async def test_a_new_batch_is_released_and_lists_say_so(client):
    batch = await recent_batch()
    assert (await batch_read(client, batch.id))["status"] == "released"
    assert (await batch_read(client, batch.id))["held_at"] is None
    listed = await client.get("/api/batches", headers=await headers_for("qa"))
    assert {item["status"] for item in listed.json()["items"]} == {"released"}


async def test_qa_holds_and_releases_a_batch_audited_with_the_reason(client):
    batch = await recent_batch()
    held = await hold(client, batch.id)
    assert held.status_code == 200, held.text
    body = held.json()
    assert body["id"] == batch.id
    assert body["status"] == "on_hold"
    assert body["status_reason"] == "Out-of-trend assay"
    assert body["held_at"] is not None
    assert (await batch_read(client, batch.id))["status"] == "on_hold"

    manager = await headers_for("qa_manager")
    released = await release(client, batch.id, headers=manager)
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    assert released.json()["held_at"] is None

    trail = {entry["action"]: entry for entry in await batch_trail(client, batch.id)}
    assert trail["held"]["old_values"]["status"] == "released"
    assert trail["held"]["new_values"]["status"] == "on_hold"
    assert trail["held"]["new_values"]["reason"] == "Out-of-trend assay"
    assert trail["held"]["reason"] == "Out-of-trend assay"
    assert trail["released"]["old_values"]["status"] == "on_hold"
    assert trail["released"]["new_values"] == {
        "status": "released",
        "held_at": None,
        "reason": "Assay repeated within limits",
    }


async def test_a_reason_is_required(client):
    batch = await recent_batch()
    for body in ({"reason": "   "}, {}):
        response = await client.post(
            f"/api/batches/{batch.id}/hold", json=body, headers=await headers_for("qa")
        )
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "reason"
    assert (await batch_read(client, batch.id))["status"] == "released"


async def test_holding_twice_and_releasing_a_released_batch_are_conflicts(client):
    batch = await recent_batch()
    assert (await release(client, batch.id)).status_code == 409
    assert (await hold(client, batch.id)).status_code == 200
    again = await hold(client, batch.id)
    assert again.status_code == 409, again.text
    assert "already on hold" in again.json()["detail"]


async def test_only_quality_staff_hold_batches(client):
    batch = await recent_batch()
    for role in ("cs", "inspector", "admin"):
        response = await hold(client, batch.id, headers=await headers_for(role))
        assert response.status_code == 403, role
    assert (await hold(client, 10**9)).status_code == 404
    assert (await batch_read(client, batch.id))["status"] == "released"


async def test_approval_recalls_the_batches_and_a_recalled_batch_is_not_released(client):
    held, fresh = await recent_batch(), await recent_batch()
    pbf = await make_consignee("A-PBF")
    await ship(held, pbf, 100)
    assert (await hold(client, held.id)).status_code == 200
    held_at = (await batch_read(client, held.id))["held_at"]
    # A batch on hold or already in another recall is no reason to refuse a proposal.
    proposed = await propose(client, batch_ids=[held.id, fresh.id])
    approved = await approve(client, proposed["id"])
    assert approved.status_code == 200, approved.text
    assert {b["id"]: b["status"] for b in approved.json()["batches"]} == {
        held.id: "recalled",
        fresh.id: "recalled",
    }

    held_read, fresh_read = await batch_read(client, held.id), await batch_read(client, fresh.id)
    assert held_read["status"] == fresh_read["status"] == "recalled"
    assert held_read["held_at"] == held_at  # stopped since its hold began
    approved_at = datetime.fromisoformat(approved.json()["approved_at"])
    assert datetime.fromisoformat(fresh_read["held_at"]) == approved_at
    assert approved.json()["reference"] in fresh_read["status_reason"]

    trail = [e for e in await batch_trail(client, fresh.id) if e["action"] == "recalled"]
    assert trail[0]["old_values"]["status"] == "released"
    assert trail[0]["new_values"]["status"] == "recalled"

    refused = await release(client, held.id)
    assert refused.status_code == 409, refused.text
    assert "recalled" in refused.json()["detail"]
    assert (await hold(client, fresh.id)).status_code == 409
    again = await propose(client, batch_ids=[held.id])
    assert again["batches"][0]["status"] == "recalled"


async def test_a_drill_leaves_the_batches_released(client):
    batch = await recent_batch()
    await ship(batch, await make_consignee("A-PBF"), 100)
    proposed = await propose(client, batch_ids=[batch.id], drill=True)
    assert (await approve(client, proposed["id"])).status_code == 200
    assert (await batch_read(client, batch.id))["status"] == "released"
    assert not [e for e in await batch_trail(client, batch.id) if e["action"] == "recalled"]


async def test_shipments_of_a_held_batch_from_the_hold_day_on_are_refused_naming_batch_no(
    client,
):
    batch = await recent_batch()
    pbf = await make_consignee("A-PBF")
    assert (await hold(client, batch.id)).status_code == 200
    qa = await headers_for("qa")
    for day in (days_ago(0),):
        refused = await client.post(
            "/api/shipments", json=shipment(batch, pbf.code, day), headers=qa
        )
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert body["field"] == "batch_no"
        assert body["detail"].startswith("batch_no: ")
        assert batch.batch_no in body["detail"]
    earlier = await client.post(
        "/api/shipments", json=shipment(batch, pbf.code, days_ago(1)), headers=qa
    )
    assert earlier.status_code == 201, earlier.text
    assert (await client.get(f"/api/shipments?batch_id={batch.id}", headers=qa)).json()[
        "total"
    ] == 1
    assert await late_jobs() == []  # on hold, not recalled: nobody to reach


async def test_the_hold_day_is_the_plants_day(client, frozen_clock):
    # 20:00 UTC is 03:00 the next morning in Jakarta: the hold began on the plant's next day.
    utc_day = datetime.now(UTC).date() - timedelta(days=1)
    frozen_clock[0] = datetime.combine(utc_day, time(20, 0), UTC)
    plant_day = utc_day + timedelta(days=1)
    assert today() == plant_day
    batch = await recent_batch()
    pbf = await make_consignee("A-PBF")
    assert (await hold(client, batch.id)).status_code == 200
    qa = await headers_for("qa")
    on_the_day = shipment(batch, pbf.code, plant_day.isoformat())
    assert (await client.post("/api/shipments", json=on_the_day, headers=qa)).status_code == 409
    the_day_before = shipment(batch, pbf.code, utc_day.isoformat())
    accepted = await client.post("/api/shipments", json=the_day_before, headers=qa)
    assert accepted.status_code == 201, accepted.text


async def test_a_released_batch_ships_again(client):
    batch = await recent_batch()
    pbf = await make_consignee("A-PBF")
    assert (await hold(client, batch.id)).status_code == 200
    assert (await release(client, batch.id)).status_code == 200
    qa = await headers_for("qa")
    today_shipment = shipment(batch, pbf.code, days_ago(0))
    assert (await client.post("/api/shipments", json=today_shipment, headers=qa)).status_code == 201


async def test_an_import_naming_a_held_batch_imports_nothing_and_names_line_and_column(client):
    held, other = await recent_batch(), await recent_batch()
    pbf = await make_consignee("A-PBF")
    assert (await hold(client, held.id)).status_code == 200
    text = "\n".join([
        HEADER,
        f"{other.gtin},{other.batch_no},{pbf.code},10,{days_ago(0)},",
        f"{held.gtin},{held.batch_no},{pbf.code},10,{days_ago(3)},",
        f"{held.gtin},{held.batch_no},{pbf.code},10,{days_ago(0)},",
    ])  # fmt: skip
    response = await post_csv(client, text, await headers_for("qa"))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["imported"] == 0
    assert body["error_count"] == 1
    (error,) = body["errors"]
    assert error["line"] == 4
    assert error["detail"].startswith("batch_no: ")
    assert "on hold" in error["detail"]
    listed = await client.get("/api/shipments", headers=await headers_for("qa"))
    assert listed.json()["total"] == 0


async def test_a_late_record_of_a_recalled_batch_is_accepted_and_queued_for_the_recall(client):
    batch = await recent_batch()
    pbf = await make_consignee("A-PBF")
    late = await make_consignee("L-APT", kind="pharmacy")
    await ship(batch, pbf, 100)
    await approved_recall(client, batch)
    qa = await headers_for("qa")
    after = await client.post(
        "/api/shipments", json=shipment(batch, late.code, days_ago(0)), headers=qa
    )
    assert after.status_code == 409
    assert await late_jobs() == []

    before = await client.post(
        "/api/shipments", json=shipment(batch, late.code, days_ago(2)), headers=qa
    )
    assert before.status_code == 201, before.text
    assert await late_jobs() == [{"shipment_ids": [before.json()["id"]]}]


async def test_an_import_queues_one_job_listing_its_late_records_only(client):
    recalled, released = await recent_batch(), await recent_batch()
    pbf = await make_consignee("A-PBF")
    await ship(recalled, pbf, 100)
    await approved_recall(client, recalled)
    first, second = await make_consignee("L-APT", kind="pharmacy"), await make_consignee("M-APT")
    text = "\n".join([
        HEADER,
        f"{released.gtin},{released.batch_no},{first.code},10,{days_ago(0)},",
        f"{recalled.gtin},{recalled.batch_no},{first.code},10,{days_ago(3)},",
        f"{released.gtin},{released.batch_no},{second.code},10,{days_ago(1)},",
        f"{recalled.gtin},{recalled.batch_no},{second.code},5,{days_ago(4)},{pbf.code}",
    ])  # fmt: skip
    qa = await headers_for("qa")
    response = await post_csv(client, text, qa)
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 4
    late = await client.get(f"/api/shipments?batch_id={recalled.id}", headers=qa)
    late_ids = sorted(s["id"] for s in late.json()["items"] if s["shipped_on"] != days_ago(10))
    assert len(late_ids) == 2
    assert await late_jobs() == [{"shipment_ids": late_ids}]


async def test_an_import_of_released_batches_queues_nothing(client):
    batch = await recent_batch()
    pbf = await make_consignee("A-PBF")
    text = f"{HEADER}\n{batch.gtin},{batch.batch_no},{pbf.code},10,{days_ago(0)},\n"
    response = await post_csv(client, text, await headers_for("qa"))
    assert response.status_code == 200, response.text
    assert await late_jobs() == []


async def test_trace_batches_carry_their_status(client):
    batch = await recent_batch()
    await ship(batch, await make_consignee("A-PBF"), 100)
    assert (await hold(client, batch.id)).status_code == 200
    trace = await client.get(f"/api/batches/{batch.id}/trace", headers=await headers_for("qa"))
    assert trace.json()["batches"][0]["status"] == "on_hold"


async def test_a_complaint_answers_the_status_of_its_batch(client):
    batch = await recent_batch()
    complaint = await make_complaint(client, batch=batch)
    qa = await headers_for("qa")
    read = await client.get(f"/api/complaints/{complaint['id']}", headers=qa)
    assert read.json()["batch_status"] == "released"
    assert (await hold(client, batch.id)).status_code == 200
    read = await client.get(f"/api/complaints/{complaint['id']}", headers=qa)
    assert read.json()["batch_status"] == "on_hold"
    unknown = await make_complaint(client, batch_no="NOT-OURS")
    read = await client.get(f"/api/complaints/{unknown['id']}", headers=qa)
    assert read.json()["batch_status"] is None

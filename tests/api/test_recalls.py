"""Recall proposal and e-signed approval over HTTP: roles, four eyes, password, races, notices."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from recall import regulatory
from recall.clock import today
from tests.factories import (
    add_material,
    approve,
    headers_for,
    headers_of,
    make_consignee,
    make_material_lot,
    make_user,
    proposal,
    propose,
    recent_batch,
    ship,
)
from tests.reads import recall_read

REFERENCE = re.compile(r"^RCL-\d{4}-\d{4}$")
PROGRESS = (
    "consignees_total", "notified", "acknowledged", "responded", "overdue",
    "quantity_distributed", "quantity_on_hand", "quantity_returned", "quantity_destroyed",
    "quantity_unaccounted",
)  # fmt: skip


async def distributed_batch():
    """A batch shipped to a PBF (tier 1), which passed some to a pharmacy and a PBF (tier 2)."""
    batch = await recent_batch()
    pbf = await make_consignee("A-PBF")
    sub_pbf = await make_consignee("B-PBF")
    pharmacy = await make_consignee("C-APT", kind="pharmacy")
    await ship(batch, pbf, 1000)
    await ship(batch, sub_pbf, 300, sender=pbf)
    await ship(batch, pharmacy, 40, sender=pbf)
    return batch


async def notices_of(client, recall_id, **params) -> dict:
    response = await client.get(
        f"/api/recalls/{recall_id}/notices", params=params, headers=await headers_for("qa")
    )
    assert response.status_code == 200, response.text
    return response.json()


# Proposal ---------------------------------------------------------------------------


async def test_qa_proposes_a_recall_of_batches(client):
    batch = await recent_batch()
    body = await propose(client, batch_ids=[batch.id], authority_reference="  ")
    assert REFERENCE.match(body["reference"])
    assert body["reference"].startswith(f"RCL-{datetime.now(UTC).year}-")
    assert body["status"] == "proposed"
    assert body["batches"] == [
        {
            "id": batch.id,
            "batch_no": batch.batch_no,
            "gtin": batch.gtin,
            "product_name": batch.product_name,
            "expires_on": batch.expires_on.isoformat(),
            "status": "released",
        }
    ]
    assert body["material_lot"] is None
    assert body["drill"] is False
    assert body["authority_reference"] is None
    assert body["approved_at"] is None
    assert body["deadlines"] == [] and body["signatures"] == []
    assert all(body[counter] == 0 for counter in PROGRESS)

    second = await propose(client, batch_ids=[batch.id])
    assert int(second["reference"][-4:]) == int(body["reference"][-4:]) + 1

    audit = await client.get(
        "/api/audit",
        params={"entity": "recall", "entity_id": body["id"]},
        headers=await headers_for("inspector"),
    )
    assert [entry["action"] for entry in audit.json()["items"]] == ["proposed"]


async def test_material_lot_expands_to_every_batch_that_used_it(client):
    lot = await make_material_lot()
    used = [await recent_batch() for _ in range(3)]
    for batch in used:
        await add_material(batch.id, lot.id)
    await recent_batch()  # made without the lot: not recalled

    body = await propose(client, material_lot_id=lot.id)
    assert sorted(batch["id"] for batch in body["batches"]) == sorted(b.id for b in used)
    assert body["material_lot"] == {
        "id": lot.id,
        "material": lot.material,
        "lot_no": lot.lot_no,
        "supplier": lot.supplier,
    }
    assert len((await recall_read(client, body["id"], "inspector"))["batches"]) == 3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, "batch_ids"),  # neither batches nor a lot
        ({"batch_ids": []}, "batch_ids"),
        ({"batch_ids": [2_000_000_000]}, "batch_ids"),
        ({"recall_type": "mandatory"}, "authority_reference"),
        ({"reason": "   "}, "reason"),
        ({"health_hazard_assessment": " \n "}, "health_hazard_assessment"),
        ({"profile": "who"}, "profile"),
        ({"investigation_id": 999_999}, "investigation_id"),
    ],
)
async def test_invalid_proposals_are_422_naming_the_field(client, changes, field):
    batch = await recent_batch()
    body = proposal(**({"batch_ids": [batch.id]} | changes))
    if changes == {}:
        del body["batch_ids"]
    response = await client.post("/api/recalls", json=body, headers=await headers_for("qa"))
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{field}: ")


async def test_batches_and_a_lot_together_are_refused(client):
    batch = await recent_batch()
    lot = await make_material_lot()
    await add_material(batch.id, lot.id)
    response = await client.post(
        "/api/recalls",
        json=proposal(batch_ids=[batch.id], material_lot_id=lot.id),
        headers=await headers_for("qa"),
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("batch_ids: ")


async def test_a_lot_no_batch_used_is_422(client):
    lot = await make_material_lot()
    response = await client.post(
        "/api/recalls", json=proposal(material_lot_id=lot.id), headers=await headers_for("qa")
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("material_lot_id: ")


async def test_mandatory_recall_keeps_the_authority_reference(client):
    batch = await recent_batch()
    body = await propose(
        client,
        batch_ids=[batch.id],
        recall_type="mandatory",
        authority_reference="BPOM T-PW.01.12.3.345.10.22.001",
        ordered_on=today().isoformat(),
    )
    assert body["recall_type"] == "mandatory"
    assert body["authority_reference"] == "BPOM T-PW.01.12.3.345.10.22.001"


async def test_malformed_choices_are_refused(client):
    batch = await recent_batch()
    for changes in ({"recall_class": "IV"}, {"depth": "patient"}, {"recall_type": "ordered"}):
        response = await client.post(
            "/api/recalls",
            json=proposal(batch_ids=[batch.id], **changes),
            headers=await headers_for("qa"),
        )
        assert response.status_code in (400, 422)
        assert next(iter(changes)) in response.json()["detail"]


@pytest.mark.parametrize("role", ["cs", "qa_manager", "inspector", "admin", "distributor"])
async def test_only_qa_proposes(client, role):
    batch = await recent_batch()
    consignee = await make_consignee() if role == "distributor" else None
    headers = await headers_for(role, consignee_code=consignee.code if consignee else None)
    response = await client.post(
        "/api/recalls", json=proposal(batch_ids=[batch.id]), headers=headers
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["cs", "qa", "inspector", "admin", "distributor"])
async def test_only_a_qa_manager_approves(client, role):
    recall = await propose(client, batch_ids=[(await recent_batch()).id])
    consignee = await make_consignee() if role == "distributor" else None
    headers = await headers_for(role, consignee_code=consignee.code if consignee else None)
    response = await approve(client, recall["id"], headers)
    assert response.status_code == 403
    assert (await recall_read(client, recall["id"], "inspector"))["status"] == "proposed"


@pytest.mark.parametrize("role", ["cs", "distributor"])
async def test_reading_recalls_is_for_quality_and_inspection(client, role):
    recall = await propose(client, batch_ids=[(await recent_batch()).id])
    consignee = await make_consignee() if role == "distributor" else None
    headers = await headers_for(role, consignee_code=consignee.code if consignee else None)
    for path in (
        f"/api/recalls/{recall['id']}",
        "/api/recalls",
        f"/api/recalls/{recall['id']}/notices",
    ):
        assert (await client.get(path, headers=headers)).status_code == 403


@pytest.mark.parametrize("role", ["qa", "qa_manager", "inspector", "admin"])
async def test_quality_roles_read_recalls(client, role):
    recall = await propose(client, batch_ids=[(await recent_batch()).id], drill=True)
    headers = await headers_for(role)
    response = await client.get(f"/api/recalls/{recall['id']}", headers=headers)
    assert response.status_code == 200
    assert response.json()["drill"] is True
    listed = await client.get("/api/recalls", headers=headers)
    assert listed.json()["total"] == 1
    assert listed.json()["items"][0]["drill"] is True


async def test_unknown_recall_is_404(client):
    headers = await headers_for("qa_manager")
    assert (await client.get("/api/recalls/4242", headers=headers)).status_code == 404
    assert (await client.get("/api/recalls/4242/notices", headers=headers)).status_code == 404
    assert (await approve(client, 4242, headers)).status_code == 404


# Approval ---------------------------------------------------------------------------


async def test_approval_signs_sets_deadlines_and_creates_notices(client, frozen_clock):
    frozen_clock[0] = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    batch = await distributed_batch()
    recall = await propose(client, batch_ids=[batch.id])
    manager = await make_user("qa_manager")
    approved_at = frozen_clock[0]

    response = await approve(
        client, recall["id"], await headers_of(manager), meaning=" Approved for recall "
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "in_progress"
    assert datetime.fromisoformat(body["approved_at"]) == approved_at
    [signature] = body["signatures"]
    assert signature["full_name"] == manager.full_name
    assert signature["meaning"] == "Approved for recall"
    assert datetime.fromisoformat(signature["signed_at"]) == approved_at
    assert len(signature["record_hash"]) == 64

    expected = regulatory.recall_deadlines("bpom", "I", "retail", approved_at)
    assert [
        (d["name"], datetime.fromisoformat(d["due_at"]), d["rule"]) for d in body["deadlines"]
    ] == [(d.name, d.due_at, d.rule) for d in expected]
    assert {"notify_consignees", "wholesale_complete", "retail_complete"} <= {
        d["name"] for d in body["deadlines"]
    }

    shown = await recall_read(client, recall["id"], "inspector")
    assert shown["deadlines"] == body["deadlines"]
    assert shown["signatures"] == body["signatures"]
    assert shown["consignees_total"] == 3
    assert shown["quantity_distributed"] == 1000  # what left the plant (tier 1)
    assert shown["quantity_unaccounted"] == 1000
    assert shown["notified"] == shown["acknowledged"] == shown["responded"] == 0
    assert shown["overdue"] == 0

    notices = await notices_of(client, recall["id"])
    assert notices["total"] == 3
    assert [
        (n["tier"], n["consignee_code"], n["status"], n["quantity_distributed"])
        for n in notices["items"]
    ] == [
        (1, "A-PBF", "pending", 1000),
        (2, "B-PBF", "pending", 300),
        (2, "C-APT", "pending", 40),
    ]
    assert notices["items"][0]["acknowledged_at"] is None
    page = await notices_of(client, recall["id"], limit=1, offset=1)
    assert [n["consignee_code"] for n in page["items"]] == ["B-PBF"] and page["total"] == 3

    audit = await client.get(
        "/api/audit",
        params={"entity": "recall", "entity_id": recall["id"]},
        headers=await headers_for("inspector"),
    )
    entries = audit.json()["items"]
    assert [entry["action"] for entry in entries] == ["approved", "proposed"]
    assert entries[0]["new_values"]["notices"] == 3
    assert entries[0]["new_values"]["signature_hash"] == signature["record_hash"]

    listed = await client.get(
        "/api/recalls", params={"status": "in_progress"}, headers=await headers_for("qa")
    )
    assert [item["id"] for item in listed.json()["items"]] == [recall["id"]]
    still_proposed = await client.get(
        "/api/recalls", params={"status": "proposed"}, headers=await headers_for("qa")
    )
    assert still_proposed.json()["total"] == 0


async def test_overdue_counts_notices_past_their_level_deadline(client, frozen_clock):
    frozen_clock[0] = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    batch = await distributed_batch()
    recall = await propose(client, batch_ids=[batch.id])
    assert (await approve(client, recall["id"])).status_code == 200
    deadlines = {
        d["name"]: datetime.fromisoformat(d["due_at"])
        for d in (await recall_read(client, recall["id"], "inspector"))["deadlines"]
    }

    frozen_clock[0] = deadlines["wholesale_complete"] + timedelta(minutes=1)
    assert (await recall_read(client, recall["id"], "inspector"))["overdue"] == 2  # the two PBFs
    frozen_clock[0] = deadlines["retail_complete"] + timedelta(minutes=1)
    assert (await recall_read(client, recall["id"], "inspector"))["overdue"] == 3


@pytest.mark.parametrize(("depth", "codes"), [
    ("wholesale", ["A-PBF", "B-PBF"]),
    ("retail", ["A-PBF", "B-PBF", "C-APT"]),
    ("consumer", ["A-PBF", "B-PBF", "C-APT"]),
])  # fmt: skip
async def test_depth_decides_which_consignees_get_notices(client, depth, codes):
    batch = await distributed_batch()
    recall = await propose(client, batch_ids=[batch.id], depth=depth)
    assert (await approve(client, recall["id"])).status_code == 200
    notices = await notices_of(client, recall["id"])
    assert [n["consignee_code"] for n in notices["items"]] == codes
    names = {d["name"] for d in (await recall_read(client, recall["id"], "inspector"))["deadlines"]}
    assert ("retail_complete" in names) is (depth != "wholesale")


async def test_wrong_password_is_401_and_changes_nothing(client):
    batch = await distributed_batch()
    recall = await propose(client, batch_ids=[batch.id])
    manager = await make_user("qa_manager")
    response = await approve(
        client, recall["id"], await headers_of(manager), password="wrong password"
    )
    assert response.status_code == 401
    body = await recall_read(client, recall["id"], "inspector")
    assert body["status"] == "proposed"
    assert body["approved_at"] is None
    assert body["signatures"] == [] and body["deadlines"] == []
    assert body["consignees_total"] == 0
    assert body["version"] == recall["version"]
    assert (await notices_of(client, recall["id"]))["total"] == 0

    audit = await client.get(
        "/api/audit",
        params={"entity": "recall", "entity_id": recall["id"]},
        headers=await headers_for("inspector"),
    )
    # The refused attempt is on the record; no approval is.
    assert [entry["action"] for entry in audit.json()["items"]] == ["signature_refused", "proposed"]

    # The right password still works afterwards.
    assert (await approve(client, recall["id"], await headers_of(manager))).status_code == 200


async def test_the_proposer_never_approves_its_own_recall(client):
    both = await make_user("qa", "qa_manager")
    headers = await headers_of(both)
    recall = await propose(client, headers, batch_ids=[(await recent_batch()).id])
    response = await approve(client, recall["id"], headers)
    assert response.status_code == 403
    assert "four eyes" in response.json()["detail"]
    assert (await recall_read(client, recall["id"], "inspector"))["status"] == "proposed"


async def test_approving_twice_is_409(client):
    recall = await propose(client, batch_ids=[(await distributed_batch()).id])
    assert (await approve(client, recall["id"])).status_code == 200
    again = await approve(client, recall["id"])
    assert again.status_code == 409
    body = await recall_read(client, recall["id"], "inspector")
    assert len(body["signatures"]) == 1
    assert body["consignees_total"] == 3


@pytest.mark.faults  # a race: run with the other fault tests
async def test_simultaneous_approvals_produce_exactly_one(client):
    recall = await propose(client, batch_ids=[(await distributed_batch()).id])
    first, second = await headers_for("qa_manager"), await headers_for("qa_manager")
    responses = await asyncio.gather(
        approve(client, recall["id"], first), approve(client, recall["id"], second)
    )
    assert sorted(response.status_code for response in responses) == [200, 409]
    body = await recall_read(client, recall["id"], "inspector")
    assert len(body["signatures"]) == 1
    assert body["consignees_total"] == 3
    assert (await notices_of(client, recall["id"]))["total"] == 3
    assert len(body["deadlines"]) == len(
        regulatory.recall_deadlines("bpom", "I", "retail", datetime.now(UTC))
    )


async def test_blank_meaning_is_refused(client):
    recall = await propose(client, batch_ids=[(await recent_batch()).id])
    response = await approve(client, recall["id"], meaning="   ")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("meaning: ")

"""Scope amendments of a running recall (SPEC Lifecycle): QA proposes batches or a material
lot, a QA manager signs; new consignees get notices, those already reached an update."""

from __future__ import annotations

import email
from email import policy

import pytest

from recall import db, masterdata, notices
from recall.actors import SYSTEM
from recall.settings import get_settings
from tests.factories import (
    PASSWORD,
    add_material,
    approved_recall,
    headers_for,
    headers_of,
    make_consignee,
    make_material_lot,
    make_user,
    propose,
    recent_batch,
    ship,
)
from tests.faults.receivers import Faults, receivers
from tests.reads import my_notices, recall_read, reconciliation
from tests.workers.delivery_setup import FakeSender
from workers.senders import NetworkSender


async def scope_world(client, hook: str | None = None) -> dict:
    """B1 recalled (PBF-A, its pharmacy APT-A); B2 not yet: PBF-A got some, and so did PBF-N
    and, through it, APT-N, whom the recall has not reached. With `hook`, the PBFs have
    webhooks there (their secrets under "secrets")."""
    b1 = await recent_batch(name="Paracetamol Syrup")
    b2 = await recent_batch(name="Paracetamol Syrup Forte")
    secrets = {}
    for code in ("PBF-A", "PBF-N"):
        _, secrets[code] = await masterdata.create_consignee(
            SYSTEM, code, f"PBF {code}", "pbf", email=f"{code.lower()}@example.com",
            webhook_url=f"{hook}/{code}" if hook else None, phone="+62 21 555 01",
        )  # fmt: skip
    pbf_a = await masterdata.consignee_by_code("PBF-A")
    pbf_n = await masterdata.consignee_by_code("PBF-N")
    apt_a = await make_consignee("APT-A", kind="pharmacy")
    apt_n = await make_consignee("APT-N", kind="pharmacy")
    await ship(b1, pbf_a, 1000)
    await ship(b1, apt_a, 40, sender=pbf_a)
    await ship(b2, pbf_a, 300)
    await ship(b2, pbf_n, 200)
    await ship(b2, apt_n, 20, sender=pbf_n)
    recall = await approved_recall(client, b1)
    qa = await headers_for("qa")
    return {"b1": b1, "b2": b2, "recall": recall, "qa": qa, "secrets": secrets}


@pytest.fixture
async def running(client) -> dict:
    return await scope_world(client)


def path(world: dict, tail: str = "") -> str:
    return f"/api/recalls/{world['recall']['id']}/amendments{tail}"


async def proposed(client, world: dict, headers=None, **body) -> dict:
    body = {"batch_ids": [world["b2"].id], "reason": "Same solvent drum", **body}
    response = await client.post(path(world), json=body, headers=headers or world["qa"])
    assert response.status_code == 201, response.text
    return response.json()


async def sign(client, world: dict, amendment_id: int, headers=None, password=PASSWORD):
    return await client.post(
        path(world, f"/{amendment_id}/approve"),
        json={"password": password, "meaning": "Scope extended"},
        headers=headers or await headers_for("qa_manager"),
    )


async def test_a_proposal_answers_the_batches_it_adds_and_the_consignees_it_newly_reaches(
    client, running
):
    amendment = await proposed(client, running)

    assert amendment["status"] == "proposed"
    assert [b["batch_no"] for b in amendment["batches_added"]] == [running["b2"].batch_no]
    assert set(amendment["batches_added"][0]) >= {"id", "batch_no", "gtin", "expires_on"}
    # PBF-N and APT-N; PBF-A has a notice already.
    assert amendment["consignees_added"] == 2
    listed = await client.get(path(running), headers=running["qa"])
    assert [a["id"] for a in listed.json()["items"]] == [amendment["id"]]
    assert listed.json()["total"] == 1
    shown = (await recall_read(client, running["recall"]["id"]))["amendments"]
    assert shown[0]["number"] == 1 and shown[0]["proposed_by_name"]
    assert shown[0]["signature"] is None and shown[0]["approved_at"] is None


async def test_a_material_lot_adds_the_batches_that_used_it_and_are_not_covered(client, running):
    lot = await make_material_lot()
    await add_material(running["b1"].id, lot.id)
    await add_material(running["b2"].id, lot.id)

    amendment = await proposed(client, running, batch_ids=None, material_lot_id=lot.id)

    assert [b["id"] for b in amendment["batches_added"]] == [running["b2"].id]
    assert amendment["material_lot"]["id"] == lot.id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"batch_ids": "mine"}, None),
        ({"reason": "  "}, "reason"),
        ({"reason": None}, "reason"),
        ({"batch_ids": None}, "batch_ids"),
        ({"material_lot_id": 1}, "batch_ids"),
        ({"batch_ids": [2_000_000]}, "batch_ids"),
        ({"batch_ids": [0]}, "batch_ids"),
        ({"batch_ids": []}, "batch_ids"),
        ({"batch_ids": None, "material_lot_id": 2_000_000}, "material_lot_id"),
    ],
)
async def test_bad_proposals_are_refused_naming_the_field(client, running, body, field):
    body = {"batch_ids": [running["b2"].id], "reason": "Same drum", **body}
    response = await client.post(path(running), json=body, headers=running["qa"])
    if field is None:
        assert response.status_code == 400, response.text
        return
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]
    assert (await client.get(path(running), headers=running["qa"])).json()["total"] == 0


async def test_batches_already_covered_add_nothing(client, running):
    response = await client.post(
        path(running), json={"batch_ids": [running["b1"].id], "reason": "x"}, headers=running["qa"]
    )
    assert response.status_code == 422
    assert "batch_ids" in response.json()["detail"]

    lot = await make_material_lot()
    await add_material(running["b1"].id, lot.id)
    response = await client.post(
        path(running), json={"material_lot_id": lot.id, "reason": "x"}, headers=running["qa"]
    )
    assert response.status_code == 422
    assert "material_lot_id" in response.json()["detail"]


async def test_only_a_recall_in_progress_takes_amendments_and_only_qa_proposes(client, running):
    other = await propose(client, batch_ids=[running["b2"].id])
    response = await client.post(
        f"/api/recalls/{other['id']}/amendments",
        json={"batch_ids": [running["b1"].id], "reason": "x"},
        headers=running["qa"],
    )
    assert response.status_code == 409

    for role in ("qa_manager", "inspector", "cs"):
        response = await client.post(
            path(running),
            json={"batch_ids": [running["b2"].id], "reason": "x"},
            headers=await headers_for(role),
        )
        assert response.status_code == 403, role
    missing = await client.post(
        "/api/recalls/999999/amendments",
        json={"batch_ids": [running["b2"].id], "reason": "x"},
        headers=running["qa"],
    )
    assert missing.status_code == 404


async def test_the_proposer_cannot_approve_and_a_wrong_password_changes_nothing(client, running):
    both = await make_user("qa", "qa_manager")
    both_headers = await headers_of(both)
    amendment = await proposed(client, running, headers=both_headers)

    refused = await sign(client, running, amendment["id"], headers=both_headers)
    assert refused.status_code == 403

    wrong = await sign(client, running, amendment["id"], password="not it")
    assert wrong.status_code == 401
    recall = await recall_read(client, running["recall"]["id"])
    assert [b["id"] for b in recall["batches"]] == [running["b1"].id]
    assert recall["amendments"][0]["status"] == "proposed"
    assert recall["consignees_total"] == 2

    qa_only = await sign(client, running, amendment["id"], headers=running["qa"])
    assert qa_only.status_code == 403


async def test_approval_reaches_new_consignees_and_updates_those_already_reached(client, running):
    amendment = await proposed(client, running)
    approver = await make_user("qa_manager")
    approved = await sign(client, running, amendment["id"], headers=await headers_of(approver))
    assert approved.status_code == 200, approved.text
    signed = approved.json()
    assert signed["status"] == "approved"
    assert signed["approved_by_name"] == approver.full_name
    assert signed["signature"]["full_name"] == approver.full_name
    assert signed["signature"]["meaning"] == "Scope extended"
    assert signed["consignees_added"] == 2
    again = await sign(client, running, amendment["id"])
    assert again.status_code == 409

    recall = await recall_read(client, running["recall"]["id"])
    assert {b["id"] for b in recall["batches"]} == {running["b1"].id, running["b2"].id}
    assert recall["consignees_total"] == 4
    # Tier 1 now counts B2's 300 + 200 beside B1's 1000.
    assert recall["quantity_distributed"] == 1500
    basis = {(d["name"], d["basis"]) for d in recall["deadlines"]}
    assert ("retail_complete", "amendment") in basis
    assert ("notify_consignees", "amendment") in basis
    assert ("initial_report", "amendment") not in basis
    batch = await client.get(f"/api/batches/{running['b2'].id}", headers=running["qa"])
    assert batch.json()["status"] == "recalled"

    found = await reconciliation(client, running["recall"]["id"])
    by_batch = {line["batch_no"]: line for line in found["batches"]}
    assert by_batch[running["b2"].batch_no]["quantity_distributed"] == 500


async def test_the_update_reaches_the_consignee_under_a_new_webhook_id(client):
    with receivers({}, Faults(), count=1) as (seen, urls):
        world = await scope_world(client, hook=urls[0])
        seen.secrets.update(world["secrets"])
        amendment = await proposed(client, world)
        approved = await sign(client, world, amendment["id"])
        assert approved.status_code == 200, approved.text
        settings = get_settings()
        sender = NetworkSender.of(settings)
        try:
            for row in await db.fetch("SELECT id FROM outbox WHERE job = {}", notices.DELIVER_JOB):
                await notices.deliver(int(row["id"]), sender)
        finally:
            await sender.aclose()

    assert not seen.bad_signatures
    [(notice_a, ids_a)] = seen.ids["PBF-A"].items()
    kinds = {seen.payloads[w]["type"]: w for w in ids_a}
    # The notice at approval, then the update under an id of its own.
    assert set(kinds) == {"recall.notice", "recall.update"}
    assert kinds["recall.update"] != kinds["recall.notice"]
    assert kinds["recall.update"].endswith("_update1")
    update = seen.payloads[kinds["recall.update"]]
    assert update["notice_id"] == notice_a and update["update"] == 1
    assert [b["batch_no"] for b in update["added_batches"]] == [world["b2"].batch_no]
    assert {b["batch_no"] for b in update["recall"]["batches"]} == {
        world["b1"].batch_no,
        world["b2"].batch_no,
    }
    [ids_n] = seen.ids["PBF-N"].values()
    assert [seen.payloads[w]["type"] for w in ids_n] == ["recall.notice"]
    mails = [
        email.message_from_bytes(found.read_bytes(), policy=policy.default)
        for found in (settings.data_dir / "mail").glob(f"{kinds['recall.update']}@*.eml")
    ]
    assert mails and mails[0]["Subject"].startswith("Pembaruan / Update")
    assert world["b2"].batch_no in mails[0].get_content()


async def deliver_all() -> None:
    """Send every queued delivery; each consignee's server answers 200."""
    for row in await db.fetch(
        "SELECT id FROM outbox WHERE job = {} AND done_at IS NULL", notices.DELIVER_JOB
    ):
        await notices.deliver(int(row["id"]), FakeSender())


def by_scope(recall: dict, name: str) -> dict[str, dict]:
    return {d["basis"]: d for d in recall["deadlines"] if d["name"] == name}


async def test_each_scope_meets_its_own_deadlines_and_new_consignees_answer_by_the_later(
    client, running
):
    await deliver_all()
    before = by_scope(await recall_read(client, running["recall"]["id"]), "notify_consignees")
    assert before["approval"]["met_at"] is not None

    amendment = await proposed(client, running)
    assert (await sign(client, running, amendment["id"])).status_code == 200
    recall = await recall_read(client, running["recall"]["id"])
    notify = by_scope(recall, "notify_consignees")
    # The new notices are not out yet: only the amendment's own deadline is open.
    assert notify["approval"]["met_at"] == before["approval"]["met_at"]
    assert notify["amendment"]["met_at"] is None
    assert notify["amendment"]["due_at"] > notify["approval"]["due_at"]

    await deliver_all()
    notify = by_scope(await recall_read(client, running["recall"]["id"]), "notify_consignees")
    assert notify["amendment"]["met_at"] is not None

    complete = by_scope(recall, "wholesale_complete")
    pbf_n = await headers_for("distributor", consignee_code="PBF-N")
    pbf_a = await headers_for("distributor", consignee_code="PBF-A")
    [new] = (await my_notices(client, pbf_n))["items"]
    [old] = (await my_notices(client, pbf_a))["items"]
    assert new["respond_by"] == complete["amendment"]["due_at"]
    assert old["respond_by"] == complete["approval"]["due_at"]
    lines = (await client.get(f"/api/notices/{old['id']}", headers=pbf_a)).json()["lines"]
    assert {line["batch_no"]: line["quantity_distributed"] for line in lines} == {
        running["b1"].batch_no: 1000,
        running["b2"].batch_no: 300,
    }


async def test_a_drills_amendment_leaves_the_batches_on_sale(client):
    b1, b2 = await recent_batch(), await recent_batch()
    pbf = await make_consignee("PBF-DRILL")
    await ship(b1, pbf, 100)
    await ship(b2, pbf, 50)
    recall = await approved_recall(client, b1, drill=True)
    world = {"recall": recall, "b2": b2, "qa": await headers_for("qa")}
    amendment = await proposed(client, world)
    assert (await sign(client, world, amendment["id"])).status_code == 200

    batch = await client.get(f"/api/batches/{b2.id}", headers=world["qa"])
    assert batch.json()["status"] == "released"
    recall = await recall_read(client, recall["id"])
    assert {b["id"] for b in recall["batches"]} == {b1.id, b2.id}

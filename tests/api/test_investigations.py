"""Investigations over HTTP: grouping complaints, findings, CAPA, conclusion, roles, suggestions."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import (
    add_material,
    capa_body,
    conclusion_body,
    headers_as,
    headers_for,
    local_today,
    make_batch,
    make_complaint,
    make_investigation,
    make_material_lot,
    make_product,
    triaged_complaint,
)
from tests.reads import investigation_read as read

REFERENCE = re.compile(r"^INV-\d{4}-\d{4}$")


ROOT_CAUSE = {
    "root_cause_category": "material",
    "root_cause": "Propylene glycol lot contaminated with diethylene glycol at the supplier.",
}


# The whole path ---------------------------------------------------------------------


async def test_complaint_to_concluded_investigation(client, qa):
    batch = await make_batch()
    other = await make_batch(batch.gtin)
    complaint = await make_complaint(client, batch=batch)
    triage = await client.post(
        f"/api/complaints/{complaint['id']}/triage",
        json={"category": "quality_defect", "severity": "critical", "investigate": True},
        headers=qa,
    )
    assert triage.status_code == 200, triage.text

    investigation = await make_investigation(client, qa, [complaint["id"]])
    assert REFERENCE.match(investigation["reference"])
    assert investigation["reference"].startswith(f"INV-{datetime.now(UTC).year}-")
    assert investigation["status"] == "open"
    assert investigation["title"] == "Cloudy syrup"
    assert investigation["complaints"] == [
        {
            "id": complaint["id"],
            "reference": complaint["reference"],
            "status": "under_investigation",
            "batch_id": batch.id,
            "batch_no": batch.batch_no,
        }
    ]
    grouped = await client.get(f"/api/complaints/{complaint['id']}", headers=qa)
    assert grouped.json()["status"] == "under_investigation"
    assert grouped.json()["version"] == complaint["version"] + 2  # triage, then grouping

    patched = await client.patch(
        f"/api/investigations/{investigation['id']}",
        json={
            **ROOT_CAUSE,
            "findings": "Both tanks filled from one drum.",
            "affected_batch_ids": [batch.id, other.id],
            "version": investigation["version"],
        },
        headers=qa,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["root_cause_category"] == "material"
    assert body["findings"] == "Both tanks filled from one drum."
    assert {b["batch_no"] for b in body["affected_batches"]} == {batch.batch_no, other.batch_no}
    assert body["affected_batches"][0]["product_name"] == batch.product_name
    assert body["version"] == investigation["version"] + 1

    capa = await client.post(
        f"/api/investigations/{investigation['id']}/capas", json=capa_body(), headers=qa
    )
    assert capa.status_code == 201, capa.text
    assert capa.json()["status"] == "open"
    assert capa.json()["overdue"] is False
    check_on = (local_today() + timedelta(days=90)).isoformat()
    done = await client.post(
        f"/api/capas/{capa.json()['id']}/complete",
        json={"note": "Cleaning validated.", "effectiveness_check_due_on": check_on},
        headers=qa,
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    assert done.json()["completed_at"] is not None
    assert done.json()["completed_by_name"].startswith("Test Qa")
    assert done.json()["effectiveness_check_due_on"] == check_on

    concluded = await client.post(
        f"/api/investigations/{investigation['id']}/conclude",
        json=conclusion_body(conclusion="Contaminated excipient lot.", recall_recommended=True),
        headers=qa,
    )
    assert concluded.status_code == 200, concluded.text
    final = concluded.json()
    assert final["status"] == "concluded"
    assert final["recall_recommended"] is True
    assert final["conclusion"] == "Contaminated excipient lot."
    assert final["concluded_at"] is not None
    assert final["concluded_by_name"].startswith("Test Qa")
    assert [c["status"] for c in final["capas"]] == ["done"]

    audit = await client.get(
        "/api/audit",
        params={"entity": "investigation", "entity_id": investigation["id"]},
        headers=await headers_for("inspector"),
    )
    actions = [entry["action"] for entry in reversed(audit.json()["items"])]
    assert actions == ["opened", "updated", "concluded"]
    verify = await client.get("/api/audit/verify", headers=await headers_for("inspector"))
    assert verify.json()["ok"] is True


async def test_several_complaints_are_grouped_in_one_investigation(client, qa):
    first, second = await triaged_complaint(client), await triaged_complaint(client)
    investigation = await make_investigation(client, qa, [first["id"], second["id"], first["id"]])
    assert [c["id"] for c in investigation["complaints"]] == [first["id"], second["id"]]
    assert {c["status"] for c in investigation["complaints"]} == {"under_investigation"}


async def test_grouping_is_audited_on_each_complaint(client, qa):
    complaint = await triaged_complaint(client)
    investigation = await make_investigation(client, qa, [complaint["id"]])
    history = (await client.get(f"/api/complaints/{complaint['id']}", headers=qa)).json()
    entry = history["history"][-1]
    assert entry["action"] == "attached_to_investigation"
    assert entry["old_values"] == {"status": "triaged", "investigation_id": None}
    assert entry["new_values"] == {
        "status": "under_investigation",
        "investigation_id": investigation["id"],
    }


# Forbidden moves ----------------------------------------------------------------------


async def test_an_untriaged_complaint_cannot_be_grouped(client, qa):
    complaint = await make_complaint(client)
    response = await client.post(
        "/api/investigations", json={"title": "x", "complaint_ids": [complaint["id"]]}, headers=qa
    )
    assert response.status_code == 409
    assert complaint["reference"] in response.json()["detail"]
    assert "triaged" in response.json()["detail"]


async def test_a_complaint_triaged_without_investigation_cannot_be_grouped(client, qa):
    complaint = await triaged_complaint(client, investigate=False)
    response = await client.post(
        "/api/investigations", json={"title": "x", "complaint_ids": [complaint["id"]]}, headers=qa
    )
    assert response.status_code == 409
    assert complaint["reference"] in response.json()["detail"]


async def test_a_complaint_cannot_be_grouped_twice(client, qa):
    complaint = await triaged_complaint(client)
    first = await make_investigation(client, qa, [complaint["id"]])
    response = await client.post(
        "/api/investigations", json={"title": "y", "complaint_ids": [complaint["id"]]}, headers=qa
    )
    assert response.status_code == 409
    assert complaint["reference"] in response.json()["detail"]
    assert first["reference"] in response.json()["detail"]


async def test_a_refused_grouping_changes_nothing(client, qa):
    good = await triaged_complaint(client)
    untriaged = await make_complaint(client)
    response = await client.post(
        "/api/investigations",
        json={"title": "x", "complaint_ids": [good["id"], untriaged["id"]]},
        headers=qa,
    )
    assert response.status_code == 409
    assert (await client.get(f"/api/complaints/{good['id']}", headers=qa)).json()[
        "status"
    ] == "triaged"
    listed = await client.get("/api/investigations", headers=qa)
    assert listed.json() == {"items": [], "total": 0}


async def test_unknown_complaints_are_named(client, qa):
    complaint = await triaged_complaint(client)
    response = await client.post(
        "/api/investigations",
        json={"title": "x", "complaint_ids": [complaint["id"], 999_999]},
        headers=qa,
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "complaint_ids: no complaint with id 999999"


async def test_patch_after_conclusion_is_refused(client, qa):
    investigation = await make_investigation(client, qa)
    url = f"/api/investigations/{investigation['id']}"
    assert (await client.patch(url, json=ROOT_CAUSE, headers=qa)).status_code == 200
    conclude = conclusion_body(conclusion="Isolated event.")
    assert (await client.post(f"{url}/conclude", json=conclude, headers=qa)).status_code == 200
    response = await client.patch(url, json={"findings": "late"}, headers=qa)
    assert response.status_code == 409
    assert "concluded" in response.json()["detail"]
    again = await client.post(f"{url}/conclude", json=conclude, headers=qa)
    assert again.status_code == 409


async def test_conclusion_needs_the_root_cause(client, qa):
    investigation = await make_investigation(client, qa)
    url = f"/api/investigations/{investigation['id']}"
    conclude = conclusion_body(conclusion="Done.")
    response = await client.post(f"{url}/conclude", json=conclude, headers=qa)
    assert response.status_code == 409
    assert "root_cause_category and root_cause" in response.json()["detail"]

    await client.patch(url, json={"root_cause_category": "method"}, headers=qa)
    response = await client.post(f"{url}/conclude", json=conclude, headers=qa)
    assert response.status_code == 409
    assert response.json()["detail"] == "set root_cause before concluding the investigation"
    assert (await read(client, qa, investigation["id"]))["status"] == "open"


async def test_a_capa_is_completed_once(client, qa):
    investigation = await make_investigation(client, qa)
    capa = await client.post(
        f"/api/investigations/{investigation['id']}/capas", json=capa_body(), headers=qa
    )
    url = f"/api/capas/{capa.json()['id']}/complete"
    first = await client.post(url, headers=qa)  # the body is optional
    assert first.status_code == 200, first.text
    second = await client.post(url, json={"note": "again"}, headers=qa)
    assert second.status_code == 409
    assert "already completed" in second.json()["detail"]
    assert (await client.get(f"/api/capas/{capa.json()['id']}", headers=qa)).json()[
        "completion_note"
    ] is None


async def test_a_stale_version_is_refused(client, qa):
    investigation = await make_investigation(client, qa)
    url = f"/api/investigations/{investigation['id']}"
    version = investigation["version"]
    first = await client.patch(url, json={"findings": "one", "version": version}, headers=qa)
    assert first.status_code == 200
    stale = await client.patch(url, json={"findings": "two", "version": version}, headers=qa)
    assert stale.status_code == 409
    assert (await read(client, qa, investigation["id"]))["findings"] == "one"


# Partial updates --------------------------------------------------------------------------


async def test_patch_changes_only_the_given_fields(client, qa):
    investigation = await make_investigation(client, qa)
    url = f"/api/investigations/{investigation['id']}"
    await client.patch(url, json={**ROOT_CAUSE, "findings": "first"}, headers=qa)
    response = await client.patch(url, json={"findings": "second"}, headers=qa)
    body = response.json()
    assert body["findings"] == "second"
    assert body["root_cause_category"] == "material"
    assert body["root_cause"] == ROOT_CAUSE["root_cause"]

    cleared = await client.patch(url, json={"root_cause": None}, headers=qa)
    assert cleared.json()["root_cause"] is None
    assert cleared.json()["findings"] == "second"


async def test_patch_is_audited_with_old_and_new_values(client, qa):
    batch = await make_batch()
    investigation = await make_investigation(client, qa)
    url = f"/api/investigations/{investigation['id']}"
    await client.patch(url, json={"findings": "first"}, headers=qa)
    await client.patch(
        url, json={"findings": "second", "affected_batch_ids": [batch.id]}, headers=qa
    )
    audit = await client.get(
        "/api/audit",
        params={"entity": "investigation", "entity_id": investigation["id"]},
        headers=qa,
    )
    latest = audit.json()["items"][0]
    assert latest["action"] == "updated"
    assert latest["old_values"] == {"findings": "first", "affected_batch_ids": []}
    assert latest["new_values"] == {"findings": "second", "affected_batch_ids": [batch.id]}


async def test_an_unchanged_patch_writes_nothing(client, qa):
    investigation = await make_investigation(client, qa)
    url = f"/api/investigations/{investigation['id']}"
    first = await client.patch(url, json={"findings": "same"}, headers=qa)
    second = await client.patch(url, json={"findings": "same"}, headers=qa)
    assert second.json()["version"] == first.json()["version"]


async def test_affected_batches_are_replaced_as_a_set(client, qa):
    one, two, three = await make_batch(), await make_batch(), await make_batch()
    investigation = await make_investigation(client, qa)
    url = f"/api/investigations/{investigation['id']}"
    await client.patch(url, json={"affected_batch_ids": [one.id, two.id]}, headers=qa)
    response = await client.patch(url, json={"affected_batch_ids": [three.id, two.id]}, headers=qa)
    assert {b["id"] for b in response.json()["affected_batches"]} == {two.id, three.id}
    emptied = await client.patch(url, json={"affected_batch_ids": []}, headers=qa)
    assert emptied.json()["affected_batches"] == []


# Reading --------------------------------------------------------------------------------


async def test_list_filters_by_status(client, qa):
    first = await make_investigation(client, qa)
    second = await make_investigation(client, qa)
    url = f"/api/investigations/{first['id']}"
    await client.patch(url, json=ROOT_CAUSE, headers=qa)
    await client.post(f"{url}/conclude", json=conclusion_body(conclusion="x"), headers=qa)
    everything = (await client.get("/api/investigations", headers=qa)).json()
    assert everything["total"] == 2
    assert [i["id"] for i in everything["items"]] == [second["id"], first["id"]]
    concluded = (await client.get("/api/investigations?status=concluded", headers=qa)).json()
    assert [i["reference"] for i in concluded["items"]] == [first["reference"]]
    assert concluded["total"] == 1
    bad = await client.get("/api/investigations?status=closed", headers=qa)
    assert bad.status_code == 400


async def test_capas_show_when_they_are_overdue(client, qa, frozen_clock):
    investigation = await make_investigation(client, qa)
    due = local_today() + timedelta(days=1)
    capa = await client.post(
        f"/api/investigations/{investigation['id']}/capas",
        json=capa_body(due_on=due.isoformat()),
        headers=qa,
    )
    assert capa.json()["overdue"] is False
    frozen_clock[0] = datetime.now(UTC) + timedelta(days=3)
    later = await headers_for("qa")  # tokens expire by the clock
    body = await read(client, later, investigation["id"])
    assert body["capas"][0]["overdue"] is True
    done = await client.post(f"/api/capas/{capa.json()['id']}/complete", json={}, headers=later)
    assert done.json()["overdue"] is False


# Shared material lots --------------------------------------------------------------------


async def test_batches_sharing_a_material_lot_are_suggested(client, qa):
    syrup = await make_product(name="Paracetamol Syrup")
    cough = await make_product(name="Cough Syrup", strength="15 mg/5 mL")
    complained = await make_batch(syrup.gtin)
    sibling = await make_batch(cough.gtin)
    unrelated = await make_batch(syrup.gtin)
    glycol = await make_material_lot(material="Propylene glycol", lot_no="PG-2022-77")
    sorbitol = await make_material_lot(material="Sorbitol", lot_no="SB-1")
    other_glycol = await make_material_lot(material="Propylene glycol", lot_no="PG-2022-78")
    await add_material(complained.id, glycol.id)
    await add_material(complained.id, sorbitol.id)
    await add_material(sibling.id, glycol.id)
    await add_material(sibling.id, sorbitol.id)
    await add_material(unrelated.id, other_glycol.id)

    investigation = await make_investigation(client, qa, batch=complained)
    suggested = investigation["suggested_batches"]
    assert suggested == [
        {
            "id": sibling.id,
            "batch_no": sibling.batch_no,
            "gtin": cough.gtin,
            "product_name": "Cough Syrup",
            "shared_lots": [
                {
                    "material_lot_id": glycol.id,
                    "lot_no": "PG-2022-77",
                    "material": "Propylene glycol",
                },
                {"material_lot_id": sorbitol.id, "lot_no": "SB-1", "material": "Sorbitol"},
            ],
        }
    ]

    # Once named affected, the sibling is no longer a suggestion; its own lots count now.
    await add_material(sibling.id, other_glycol.id)
    response = await client.patch(
        f"/api/investigations/{investigation['id']}",
        json={"affected_batch_ids": [sibling.id]},
        headers=qa,
    )
    after = response.json()
    assert [b["id"] for b in after["affected_batches"]] == [sibling.id]
    assert [b["id"] for b in after["suggested_batches"]] == [unrelated.id]
    assert after["suggested_batches"][0]["shared_lots"][0]["lot_no"] == "PG-2022-78"


async def test_a_complaint_without_a_known_batch_suggests_nothing(client, qa):
    investigation = await make_investigation(client, qa)
    assert investigation["suggested_batches"] == []
    assert investigation["complaints"][0]["batch_id"] is None


# Roles --------------------------------------------------------------------------------------


WRITES = [
    ("POST", "/api/investigations", {"title": "x", "complaint_ids": [1]}),
    ("PATCH", "/api/investigations/{id}", {"findings": "x"}),
    ("POST", "/api/investigations/{id}/capas", capa_body()),
    ("POST", "/api/investigations/{id}/conclude", conclusion_body(conclusion="x")),
    ("POST", "/api/capas/{capa}/complete", {}),
    ("POST", "/api/capas/{capa}/effectiveness", {"effective": True, "evidence": "x"}),
]
READS = [
    ("GET", "/api/investigations", None),
    ("GET", "/api/investigations/{id}", None),
    ("GET", "/api/capas/{capa}", None),
]


@pytest.fixture
async def records(client, qa):
    investigation = await make_investigation(client, qa)
    capa = await client.post(
        f"/api/investigations/{investigation['id']}/capas", json=capa_body(), headers=qa
    )
    return {"id": investigation["id"], "capa": capa.json()["id"]}


@pytest.mark.parametrize("role", ["cs", "qa_manager", "inspector", "admin", "distributor"])
@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_only_qa_writes(client, records, role, method, path, body):
    response = await client.request(
        method, path.format(**records), json=body, headers=await headers_as(role)
    )
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("role", ["cs", "distributor"])
@pytest.mark.parametrize(("method", "path", "body"), READS)
async def test_cs_and_distributors_cannot_read(client, records, role, method, path, body):
    response = await client.request(method, path.format(**records), headers=await headers_as(role))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["qa", "qa_manager", "inspector", "admin"])
@pytest.mark.parametrize(("method", "path", "body"), READS)
async def test_quality_roles_read(client, records, role, method, path, body):
    response = await client.request(method, path.format(**records), headers=await headers_as(role))
    assert response.status_code == 200

"""Destruction records: on site at a consignee (counted) or at the plant (listed only)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from recall import clock
from recall.clock import today
from tests.factories import (
    LABEL_MIX_UP,
    PASSWORD,
    destroy,
    headers_for,
    make_batch,
    make_consignee,
    propose,
    report,
)
from tests.reads import recall_read, reconciliation


def line_of(found: dict, batch) -> dict:
    return next(x for x in found["batches"] if x["batch_no"] == batch.batch_no)


async def listed(client, recall_id, role: str = "qa") -> dict:
    response = await client.get(
        f"/api/recalls/{recall_id}/destructions", headers=await headers_for(role)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def audit_entries(client, entity: str, entity_id) -> list[dict]:
    response = await client.get(
        "/api/audit",
        params={"entity": entity, "entity_id": str(entity_id)},
        headers=await headers_for("admin"),
    )
    return response.json()["items"]


async def audit_actions(client, entity: str, entity_id) -> list[str]:
    return [entry["action"] for entry in await audit_entries(client, entity, entity_id)]


WITNESSES = [
    {"name": "Dra. Wulan Sari, Apt.", "agency": "Balai Besar POM di Surabaya"},
    {"name": "Bambang Hartono", "agency": "Dinas Kesehatan Kota Surabaya"},
    {"name": "Siti Rahma", "agency": "QA internal"},
]


async def test_on_site_at_tier_1_counts_as_destroyed(client, two_tiers):
    world = two_tiers
    recall_id = world["recall"]["id"]
    response = await destroy(client, world, 120, consignee_code="PBF-A")
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["batch_no"] == world["b1"].batch_no
    assert record["gtin"] == world["b1"].gtin
    assert record["quantity"] == 120
    assert record["consignee_code"] == "PBF-A"
    assert record["tier"] == 1
    assert record["notice_id"] == world["notices"]["PBF-A"]
    assert record["method"] == "Incineration"
    assert record["witness"] == "Siti Rahma (QA)"
    # A first-release body: no berita acara fields, no structured witnesses.
    assert (record["document_no"], record["executor"], record["witnesses"]) == (None, None, [])
    assert record["destroyed_on"] == today().isoformat()
    assert await audit_actions(client, "destruction", record["id"]) == ["recorded"]
    page = await listed(client, recall_id, role="inspector")
    assert page["total"] == 1
    assert page["items"] == [record]
    progress = await recall_read(client, recall_id)
    assert progress["quantity_destroyed"] == 120
    assert progress["quantity_unaccounted"] == 1800 - 120
    line = line_of(await reconciliation(client, recall_id), world["b1"])
    assert (line["quantity_destroyed"], line["quantity_unaccounted"]) == (120, 1500 - 120)


async def test_on_site_at_tier_2_counts_for_tier_2_only(client, two_tiers):
    world = two_tiers
    recall_id = world["recall"]["id"]
    response = await destroy(client, world, 30, consignee_code="APT-C")
    assert response.status_code == 201, response.text
    assert response.json()["tier"] == 2
    found = await reconciliation(client, recall_id)
    assert found["totals"]["quantity_destroyed"] == 0
    tier2 = found["tiers"][1]
    assert tier2["tier"] == 2
    assert line_of(tier2, world["b1"])["quantity_destroyed"] == 30
    assert line_of(tier2, world["b1"])["quantity_unaccounted"] == 300 - 30
    assert (await recall_read(client, recall_id))["quantity_destroyed"] == 0


async def test_plant_destruction_is_listed_not_counted_and_bounded_by_returns(
    client,
    two_tiers,
):
    world = two_tiers
    recall_id = world["recall"]["id"]
    nothing_back = await destroy(client, world, 1)
    assert nothing_back.status_code == 422, nothing_back.text
    assert "quantity" in nothing_back.json()["detail"]

    await report(client, world, "PBF-A", returns={"b1": 150})
    await report(client, world, "PBF-B", returns={"b1": 100})
    # Tier-2 returns went back to the PBFs, not to the plant.
    await report(client, world, "APT-C", returns={"b1": 40})
    before = await reconciliation(client, recall_id)
    assert (await destroy(client, world, 200)).status_code == 201
    too_much = await destroy(client, world, 51)
    assert too_much.status_code == 422, too_much.text
    assert "at most 50" in too_much.json()["detail"]
    last = await destroy(client, world, 50)
    assert last.status_code == 201, last.text
    assert last.json()["consignee_code"] is None
    assert last.json()["tier"] is None
    assert (await destroy(client, world, 1)).status_code == 422

    assert await reconciliation(client, recall_id) == before
    page = await listed(client, recall_id)
    assert page["total"] == 2
    assert [item["quantity"] for item in page["items"]] == [200, 50]


async def test_on_site_quantity_is_bounded_by_what_the_consignee_still_had(client, two_tiers):
    world = two_tiers
    await report(client, world, "PBF-B", returns={"b1": 100})
    # PBF-B received 500 of B1 and returned 100.
    assert (await destroy(client, world, 350, consignee_code="PBF-B")).status_code == 201
    response = await destroy(client, world, 51, consignee_code="PBF-B")
    assert response.status_code == 422, response.text
    assert "quantity" in response.json()["detail"]
    assert (await destroy(client, world, 50, consignee_code="PBF-B")).status_code == 201


async def test_berita_acara_fields_are_kept_answered_listed_and_audited(client, two_tiers):
    world = two_tiers
    response = await destroy(
        client,
        world,
        40,
        consignee_code="PBF-A",
        witness=None,
        document_no="  BA-017/QA/XII/2026 ",
        executor="PT Wastec Internasional (pemusnah berizin)",
        witnesses=[{"name": f"  {w['name']} ", "agency": w["agency"]} for w in WITNESSES],
    )
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["document_no"] == "BA-017/QA/XII/2026"
    assert record["executor"] == "PT Wastec Internasional (pemusnah berizin)"
    assert record["witnesses"] == WITNESSES
    # Readers of the first release still find a witness: the first one, with the agency.
    assert record["witness"] == "Dra. Wulan Sari, Apt. (Balai Besar POM di Surabaya)"
    assert (await listed(client, world["recall"]["id"]))["items"] == [record]
    [entry] = await audit_entries(client, "destruction", record["id"])
    assert entry["new_values"]["document_no"] == "BA-017/QA/XII/2026"
    assert entry["new_values"]["executor"] == record["executor"]
    assert entry["new_values"]["witnesses"] == WITNESSES


async def test_a_witness_given_is_kept_beside_the_witnesses(client, two_tiers):
    response = await destroy(
        client, two_tiers, 1, consignee_code="PBF-A", witness="Tim QA", witnesses=WITNESSES[:1]
    )
    assert response.status_code == 201, response.text
    assert response.json()["witness"] == "Tim QA"
    assert response.json()["witnesses"] == WITNESSES[:1]


def too_many_witnesses() -> list[dict]:
    return [{"name": f"Saksi {n}", "agency": "BPOM"} for n in range(11)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"document_no": "B" * 101}, "document_no"),
        ({"document_no": "BA-1\nBA-2"}, "document_no"),
        ({"document_no": "BA\u0007"}, "document_no"),
        ({"executor": "E" * 201}, "executor"),
        ({"executor": "PT A\rPT B"}, "executor"),
        ({"witnesses": too_many_witnesses()}, "witnesses"),
        ({"witnesses": [WITNESSES[0], {"name": "  ", "agency": "BPOM"}]}, "witnesses[1].name"),
        ({"witnesses": [{"name": "Budi", "agency": ""}]}, "witnesses[0].agency"),
        ({"witnesses": [{"name": "Budi"}]}, "witnesses[0].agency"),
        ({"witnesses": [{"agency": "BPOM"}]}, "witnesses[0].name"),
        ({"witnesses": [{"name": "Budi", "agency": "Dinas\nKesehatan"}]}, "witnesses[0].agency"),
        ({"witnesses": [{"name": "N" * 201, "agency": "BPOM"}]}, "witnesses[0].name"),
        ({"witness": None}, "witness"),
        ({"witness": "  ", "witnesses": []}, "witness"),
    ],
)
async def test_bad_berita_acara_is_refused_naming_the_field(client, two_tiers, change, field):
    response = await destroy(client, two_tiers, 1, consignee_code="PBF-A", **change)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{field}: "), response.text
    assert (await listed(client, two_tiers["recall"]["id"]))["total"] == 0


async def test_witnesses_must_be_a_list_of_objects(client, two_tiers):
    for wrong in ("Budi (BPOM)", ["Budi"], {"name": "Budi", "agency": "BPOM"}):
        response = await destroy(client, two_tiers, 1, consignee_code="PBF-A", witnesses=wrong)
        assert response.status_code == 400, response.text
        assert response.json()["detail"].startswith("witnesses"), response.text
    assert (await listed(client, two_tiers["recall"]["id"]))["total"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"batch_no": "NOT-RECALLED"}, "batch_no"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -5}, "quantity"),
        ({"quantity": 2**31}, "quantity"),
        ({"method": "  "}, "method"),
        ({"place": ""}, "place"),
        ({"witness": "a\nb"}, "witness"),
        ({"destroyed_on": (today() + timedelta(days=1)).isoformat()}, "destroyed_on"),
        ({"destroyed_on": "yesterday"}, "destroyed_on"),
        ({"consignee_code": "NOBODY"}, "consignee_code"),
        ({"consignee_code": "RS-D", "batch": "b2"}, "consignee_code"),
    ],
)
async def test_bad_destruction_is_refused_and_writes_nothing(client, two_tiers, change, field):
    world = two_tiers
    batch = change.pop("batch", "b1")
    response = await destroy(client, world, change.pop("quantity", 1), batch=batch, **change)
    assert response.status_code in (400, 422), response.text
    assert field in response.json()["detail"]
    assert (await listed(client, world["recall"]["id"]))["total"] == 0


async def test_a_batch_not_in_the_recall_is_named(client, two_tiers):
    other = await make_batch()
    response = await client.post(
        f"/api/recalls/{two_tiers['recall']['id']}/destructions",
        json={
            "batch_no": other.batch_no,
            "quantity": 1,
            "method": "Incineration",
            "place": "Plant",
            "witness": "QA",
            "destroyed_on": today().isoformat(),
        },
        headers=await headers_for("qa"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("batch_no")


async def test_destroyed_on_is_checked_against_the_plants_calendar(client, two_tiers):
    # 20:00 UTC is already the next day in Jakarta (UTC+7).
    utc_day = datetime.now(UTC).date()
    clock.set_clock(lambda: datetime.combine(utc_day, time(20, 0), tzinfo=UTC))
    try:
        local_tomorrow = utc_day + timedelta(days=1)
        accepted = await destroy(
            client, two_tiers, 1, consignee_code="PBF-A", destroyed_on=local_tomorrow.isoformat()
        )
        assert accepted.status_code == 201, accepted.text
        refused = await destroy(
            client,
            two_tiers,
            1,
            consignee_code="PBF-A",
            destroyed_on=(local_tomorrow + timedelta(days=1)).isoformat(),
        )
        assert refused.status_code == 422, refused.text
        assert "destroyed_on" in refused.json()["detail"]
    finally:
        clock.set_clock(None)


async def test_only_an_in_progress_recall_takes_destructions(client, two_tiers):
    batch = await make_batch()
    await make_consignee("PBF-P")
    proposed = await propose(client, batch_ids=[batch.id], **LABEL_MIX_UP)
    response = await client.post(
        f"/api/recalls/{proposed['id']}/destructions",
        json={
            "batch_no": batch.batch_no,
            "quantity": 1,
            "method": "Incineration",
            "place": "Plant",
            "witness": "QA",
            "destroyed_on": today().isoformat(),
        },
        headers=await headers_for("qa"),
    )
    assert response.status_code == 409, response.text

    closed = await client.post(
        f"/api/recalls/{two_tiers['recall']['id']}/close",
        json={"password": PASSWORD, "meaning": "Closed", "justification": "Drill ended"},
        headers=await headers_for("qa_manager"),
    )
    assert closed.status_code == 200, closed.text
    after = await destroy(client, two_tiers, 1, consignee_code="PBF-A")
    assert after.status_code == 409, after.text


async def test_roles_and_unknown_recall(client, two_tiers):
    path = f"/api/recalls/{two_tiers['recall']['id']}/destructions"
    body = {
        "batch_no": two_tiers["b1"].batch_no,
        "quantity": 1,
        "method": "Incineration",
        "place": "Plant",
        "witness": "QA",
        "destroyed_on": today().isoformat(),
        "consignee_code": "PBF-A",
    }
    for role in ("qa_manager", "inspector", "cs"):
        response = await client.post(path, json=body, headers=await headers_for(role))
        assert response.status_code == 403, role
    response = await client.post(path, json=body, headers=two_tiers["headers"]["PBF-A"])
    assert response.status_code == 403
    assert (await client.get(path, headers=two_tiers["headers"]["PBF-A"])).status_code == 403
    unknown = await client.post(
        "/api/recalls/999999/destructions", json=body, headers=await headers_for("qa")
    )
    assert unknown.status_code == 404
    listing = await client.get("/api/recalls/999999/destructions", headers=await headers_for("qa"))
    assert listing.status_code == 404

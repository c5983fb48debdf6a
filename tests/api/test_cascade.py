"""The cascade: a consignee names its customers, who get notices one tier below."""

from __future__ import annotations

import asyncio
import json

import pytest

from recall import db, masterdata
from tests.api.helpers import entry, name
from tests.factories import (
    approved_recall,
    headers_for,
    make_consignee,
    recent_batch,
    ship,
)
from tests.reads import MISFILED_LINES, my_notices, trail


async def audit_entries(client, entity: str, entity_id) -> list[dict]:
    response = await client.get(
        "/api/audit",
        params={"entity": entity, "entity_id": str(entity_id)},
        headers=await headers_for("admin"),
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def count(sql: str, *values) -> int:
    return int((await db.fetch(f"SELECT COUNT(*) AS n FROM {sql}", *values))[0]["n"])


async def test_naming_a_known_and_a_new_outlet_gives_each_a_notice(client, chain):
    batch, known = chain["batch"], chain["known"]
    outbox_before = await count("outbox")
    response = await name(
        client,
        chain,
        [
            # The name and kind given for a known code do not overwrite its record.
            entry(batch, known.code, 300, name="Another Name", kind="pharmacy"),
            entry(batch, "N-APT", 200, name="Apotek Baru", email="baru@example.com"),
        ],
    )
    assert response.status_code == 201, response.text
    first, second = response.json()["consignees"]
    assert first["code"] == "K-APT"
    # A known outlet (not created by the namer): the answer echoes what was sent, nothing
    # of its stored record or notice.
    assert first["name"] == "Another Name"
    assert (first["new_consignee"], first["notice"], first["notified"]) == (False, None, None)
    assert (first["notice_id"], first["tier"]) == (None, None)
    assert second["name"] == "Apotek Baru"
    assert (second["new_consignee"], second["notice"], second["notified"]) == (
        True,
        "created",
        True,
    )
    assert second["tier"] == 2

    known_headers = await headers_for("distributor", consignee_code=known.code)
    (known_notice,) = (await my_notices(client, known_headers))["items"]
    first = {**first, "notice_id": known_notice["id"]}  # as its holder sees it
    assert known_notice["id"] != second["notice_id"]
    assert known_notice["tier"] == 2
    assert [(line["batch_no"], line["quantity_distributed"]) for line in known_notice["lines"]] == [
        (batch.batch_no, 300)
    ]
    rows = await db.fetch(
        "SELECT c.parent AS parent, c.kind AS kind, c.webhook_secret AS secret, "
        "n.via_notice AS via FROM consignee c JOIN notice n ON n.consignee = c.id "
        "WHERE c.code = 'N-APT'"
    )
    assert rows[0]["parent"] == chain["pbf"].id
    assert rows[0]["kind"] == "pharmacy"
    # Kept sealed: the database never holds the signing secret in clear.
    assert masterdata.open_webhook_secret(rows[0]["secret"]).startswith("whsec_")
    assert "whsec_" not in rows[0]["secret"]
    assert rows[0]["via"] == chain["notice"]["id"]
    stored = await db.fetch("SELECT name FROM consignee WHERE code = 'K-APT'")
    assert stored == [{"name": "Apotek Kenanga"}]

    # Deliveries on every channel each outlet has, handed to the worker by one outbox job.
    deliveries = await db.fetch(
        "SELECT id, notice, channel, status FROM delivery WHERE notice IN ({}, {}) "
        "ORDER BY notice, channel",
        first["notice_id"],
        second["notice_id"],
    )
    assert [(d["notice"], d["channel"], d["status"]) for d in deliveries] == [
        (first["notice_id"], "email", "pending"),
        (first["notice_id"], "webhook", "pending"),
        (second["notice_id"], "email", "pending"),
    ]
    assert await count("outbox") == outbox_before + 1
    (job,) = await db.fetch("SELECT job, payload FROM outbox ORDER BY id DESC LIMIT 1")
    assert job["job"] == "deliver_notices"
    assert sorted(json.loads(job["payload"])["delivery_ids"]) == sorted(
        int(d["id"]) for d in deliveries
    )

    naming = await audit_entries(client, "notice", chain["notice"]["id"])
    assert [e["action"] for e in naming] == ["sub_consignees_named"]
    assert naming[0]["actor_name"].endswith(")")  # the distributor user, by name
    assert [c["code"] for c in naming[0]["new_values"]["consignees"]] == ["K-APT", "N-APT"]
    created = await audit_entries(client, "notice", second["notice_id"])
    assert [e["action"] for e in created] == ["created"]
    assert created[0]["new_values"]["via_notice"] == chain["notice"]["id"]
    assert created[0]["new_values"]["lines"] == {batch.batch_no: 200}
    consignee_id = (await db.fetch("SELECT id FROM consignee WHERE code = 'N-APT'"))[0]["id"]
    new_consignee = await audit_entries(client, "consignee", consignee_id)
    assert [e["action"] for e in new_consignee] == ["created"]
    assert new_consignee[0]["new_values"]["parent_code"] == "W-PBF"

    listed = await client.get(chain["path"], headers=chain["headers"])
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 2
    assert [(i["code"], i["tier"], i["status"]) for i in listed.json()["items"]] == [
        ("K-APT", None, None),  # known before: only its code, as the namer gave it
        ("N-APT", 2, "pending"),
    ]
    assert listed.json()["items"][1]["lines"] == [
        {"batch_no": batch.batch_no, "gtin": batch.gtin, "quantity": 200}
    ]


async def test_a_consignee_with_a_notice_is_not_given_a_second_one(client, chain):
    batch, other, rival = chain["batch"], chain["other"], chain["rival"]
    response = await name(
        client,
        chain,
        [
            entry(batch, rival.code, 5, kind="pbf"),  # already has a tier-1 notice for batch
            entry(other, rival.code, 5, kind="pbf"),  # ... but not for the other batch
        ],
    )
    assert response.status_code == 201, response.text
    covered, added = response.json()["consignees"]
    # Another distributor: what became of its notice is not the namer's to see.
    for item in (covered, added):
        assert (item["notice"], item["tier"], item["notified"], item["notice_id"]) == (None,) * 4
    assert await count("notice WHERE consignee = {}", rival.id) == 1
    rival_headers = await headers_for("distributor", consignee_code=rival.code)
    (notice,) = (await my_notices(client, rival_headers))["items"]
    assert sorted((line["batch_no"], line["quantity_distributed"]) for line in notice["lines"]) == (
        sorted([(batch.batch_no, 10), (other.batch_no, 5)])
    )
    assert await trail(client, notice["id"]) == ["line_added"]
    assert (await db.fetch(MISFILED_LINES))[0]["n"] == 0


async def test_another_consignees_notice_is_404(client, chain):
    rival_headers = await headers_for("distributor", consignee_code=chain["rival"].code)
    body = {"consignees": [entry(chain["batch"], "X-APT", 1)]}
    for path in (chain["path"], "/api/notices/999999/sub-consignees"):
        response = await client.post(path, json=body, headers=rival_headers)
        assert response.status_code == 404, path
        assert (await client.get(path, headers=rival_headers)).status_code == 404
    assert await count("consignee WHERE code = 'X-APT'") == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "warehouse"}, "consignees[1].kind"),
        ({"batch_no": "NOT-IN-NOTICE"}, "consignees[1].batch_no"),
        ({"code": "bad code!"}, "consignees[1].code"),
        ({"name": "  "}, "consignees[1].name"),
        ({"email": "not-an-address"}, "consignees[1].email"),
        ({"webhook_url": "ftp://x.example"}, "consignees[1].webhook_url"),
        # Our worker would post from inside the plant's network: no internal targets.
        ({"webhook_url": "http://127.0.0.1:6379/"}, "consignees[1].webhook_url"),
        ({"webhook_url": "http://10.1.2.3/hook"}, "consignees[1].webhook_url"),
        ({"webhook_url": "http://[::1]/hook"}, "consignees[1].webhook_url"),
        ({"webhook_url": "http://169.254.169.254/latest"}, "consignees[1].webhook_url"),
        ({"webhook_url": "https://localhost/hook"}, "consignees[1].webhook_url"),
        ({"webhook_url": "https://erp.internal/hook"}, "consignees[1].webhook_url"),
        ({"code": "W-PBF"}, "consignees[1].code"),  # its own code
    ],
)
@pytest.mark.usefixtures("public_webhooks_only")  # as installations are: no network admitted
async def test_bad_entries_are_422_naming_the_field(client, chain, changes, field):
    response = await name(
        client,
        chain,
        [entry(chain["batch"], "OK-APT", 1), {**entry(chain["batch"], "BAD-APT", 1), **changes}],
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert response.json()["detail"].startswith(field)
    assert await count("notice WHERE via_notice = {}", chain["notice"]["id"]) == 0
    assert await count("consignee WHERE code IN ('OK-APT', 'BAD-APT')") == 0
    assert await trail(client, chain["notice"]["id"]) == []


async def test_same_customer_and_batch_twice_is_422(client, chain):
    twice = [entry(chain["batch"], "T-APT", 1), entry(chain["batch"], "T-APT", 2)]
    response = await name(client, chain, twice)
    assert response.status_code == 422
    assert response.json()["field"] == "consignees[1].batch_no"


async def test_a_kind_beyond_the_depth_is_refused(client):
    batch = await recent_batch()
    pbf = await make_consignee("D-PBF")
    await ship(batch, pbf, 100)
    await approved_recall(client, batch, depth="wholesale")
    headers = await headers_for("distributor", consignee_code=pbf.code)
    notice_id = (await my_notices(client, headers))["items"][0]["id"]
    path = f"/api/notices/{notice_id}/sub-consignees"
    body = {"consignees": [entry(batch, "S-PBF", 10, kind="pbf"), entry(batch, "S-APT", 10)]}
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["field"] == "consignees[1].kind"
    assert "wholesale" in response.json()["detail"]
    assert await count("notice WHERE via_notice = {}", notice_id) == 0
    # A wholesaler customer is within a wholesale-level recall.
    body["consignees"] = body["consignees"][:1]
    accepted = await client.post(path, json=body, headers=headers)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["consignees"][0]["tier"] == 2


async def test_more_than_received_is_422_counting_earlier_namings(client, chain):
    batch = chain["batch"]
    over = await name(client, chain, [entry(batch, "A-APT", 600), entry(batch, "B-APT", 401)])
    assert over.status_code == 422
    assert over.json()["field"] == "consignees[1].quantity"
    assert "1000" in over.json()["detail"]
    assert (await name(client, chain, [entry(batch, "A-APT", 600)])).status_code == 201
    again = await name(client, chain, [entry(batch, "B-APT", 401)])
    assert again.status_code == 422
    assert again.json()["field"] == "consignees[0].quantity"
    assert (await name(client, chain, [entry(batch, "B-APT", 400)])).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"consignees": []},
        {"consignees": [{"code": "X", "name": "X", "kind": "pharmacy", "batch_no": "B"}]},
        {
            "consignees": [
                {"code": "X", "name": "X", "kind": "pharmacy", "batch_no": "B", "quantity": 0}
            ]
        },
    ],
)
async def test_malformed_bodies_are_refused(client, chain, body):
    response = await client.post(chain["path"], json=body, headers=chain["headers"])
    assert response.status_code == 400
    assert response.json()["detail"].startswith("consignees")


async def test_more_than_1000_entries_are_refused(client, chain):
    many = [entry(chain["batch"], f"M-{i}", 1) for i in range(1001)]
    response = await name(client, chain, many)
    assert response.status_code == 400
    assert await count("consignee WHERE code LIKE 'M-%'") == 0


async def test_repeat_with_the_same_key_changes_nothing(client, chain):
    body = [entry(chain["batch"], "I-APT", 7, email="i@example.com")]
    first = await name(client, chain, body, **{"Idempotency-Key": "cascade-1"})
    assert first.status_code == 201, first.text
    deliveries = await count("delivery")
    repeat = await name(client, chain, body, **{"Idempotency-Key": "cascade-1"})
    assert repeat.status_code == 201
    assert repeat.content == first.content
    assert await count("notice WHERE via_notice = {}", chain["notice"]["id"]) == 1
    assert await count("delivery") == deliveries
    assert await trail(client, chain["notice"]["id"]) == ["sub_consignees_named"]
    # Without the key the same entry finds the notice it already has.
    plain = await name(client, chain, body)
    assert plain.status_code == 201
    assert plain.json()["consignees"][0]["notice"] == "unchanged"
    assert await count("notice WHERE via_notice = {}", chain["notice"]["id"]) == 1


async def test_closed_recall_is_409(client, chain):
    await db.fetch("UPDATE recall SET status = 'closed' WHERE id = {}", chain["recall"]["id"])
    response = await name(client, chain, [entry(chain["batch"], "C-APT", 1)])
    assert response.status_code == 409
    assert await count("consignee WHERE code = 'C-APT'") == 0


async def test_staff_cannot_name_customers(client, chain):
    response = await client.post(
        chain["path"],
        json={"consignees": [entry(chain["batch"], "Q-APT", 1)]},
        headers=await headers_for("qa"),
    )
    assert response.status_code == 403


async def test_a_customer_without_any_address_is_left_to_qa(client, chain):
    response = await name(client, chain, [entry(chain["batch"], "P-APT", 3)])
    assert response.status_code == 201, response.text
    (named,) = response.json()["consignees"]
    assert (named["notice"], named["notified"]) == ("created", False)
    assert await count("delivery WHERE notice = {}", named["notice_id"]) == 0
    alerts = await client.get("/api/alerts", headers=await headers_for("qa"))
    assert any("P-APT" in alert["detail"] for alert in alerts.json()["items"])


async def test_one_customer_named_for_two_batches_gets_one_notice(client, chain):
    batch, other = chain["batch"], chain["other"]
    response = await name(
        client, chain, [entry(batch, "TWO-APT", 10), entry(other, "TWO-APT", 4, name="Ignored")]
    )
    assert response.status_code == 201, response.text
    first, second = response.json()["consignees"]
    assert first["notice_id"] == second["notice_id"]
    assert first["notice"] == second["notice"] == "created"
    # Each entry is echoed as sent; the first one describes the new record.
    assert (first["name"], second["name"]) == ("Outlet TWO-APT", "Ignored")
    assert await db.fetch("SELECT name FROM consignee WHERE code = 'TWO-APT'") == [
        {"name": "Outlet TWO-APT"}
    ]
    (listed,) = (await client.get(chain["path"], headers=chain["headers"])).json()["items"]
    assert sorted((line["batch_no"], line["quantity"]) for line in listed["lines"]) == sorted(
        [(batch.batch_no, 10), (other.batch_no, 4)]
    )


async def test_a_thousand_customers_in_one_request(client):
    batch = await recent_batch()
    pbf = await make_consignee("BIG-PBF")
    await ship(batch, pbf, 5000)
    await approved_recall(client, batch)
    headers = await headers_for("distributor", consignee_code=pbf.code)
    notice_id = (await my_notices(client, headers))["items"][0]["id"]
    many = [entry(batch, f"OUT-{i:04d}", 5, email=f"o{i}@example.com") for i in range(1000)]
    response = await client.post(
        f"/api/notices/{notice_id}/sub-consignees", json={"consignees": many}, headers=headers
    )
    assert response.status_code == 201, response.text
    named = response.json()["consignees"]
    assert len(named) == 1000
    assert all(item["new_consignee"] and item["notified"] for item in named)
    assert len({item["notice_id"] for item in named}) == 1000
    assert await count("notice WHERE via_notice = {}", notice_id) == 1000
    assert await count("consignee WHERE parent = {}", pbf.id) == 1000
    assert await count("delivery WHERE notice IN (SELECT id FROM notice WHERE via_notice = {})",
                       notice_id) == 1000  # fmt: skip
    listed = await client.get(
        f"/api/notices/{notice_id}/sub-consignees", params={"limit": 10, "offset": 995},
        headers=headers,
    )  # fmt: skip
    assert listed.json()["total"] == 1000
    assert [item["code"] for item in listed.json()["items"]] == [
        f"OUT-{i:04d}" for i in range(995, 1000)
    ]


@pytest.mark.faults  # a race: run with the other fault tests
async def test_concurrent_namings_cannot_exceed_what_was_received(client, chain):
    batch = chain["batch"]
    responses = await asyncio.gather(
        name(client, chain, [entry(batch, "CA-APT", 600)]),
        name(client, chain, [entry(batch, "CB-APT", 600)]),
    )
    codes = sorted(r.status_code for r in responses)
    assert codes in ([201, 409], [201, 422]), [r.text for r in responses]
    assert await count("notice WHERE via_notice = {}", chain["notice"]["id"]) == 1


@pytest.mark.faults  # a race: run with the other fault tests
async def test_two_suppliers_naming_one_new_customer_at_once(client, chain):
    rival_headers = await headers_for("distributor", consignee_code=chain["rival"].code)
    (rival_notice,) = (await my_notices(client, rival_headers))["items"]
    body = {"consignees": [entry(chain["batch"], "SHARED-APT", 5)]}
    responses = await asyncio.gather(
        client.post(chain["path"], json=body, headers=chain["headers"]),
        client.post(
            f"/api/notices/{rival_notice['id']}/sub-consignees", json=body, headers=rival_headers
        ),
    )
    assert all(r.status_code in (201, 409) for r in responses), [r.text for r in responses]
    assert 201 in [r.status_code for r in responses]
    assert await count("consignee WHERE code = 'SHARED-APT'") == 1
    assert (
        await count("notice WHERE consignee = (SELECT id FROM consignee WHERE code = 'SHARED-APT')")
        == 1
    )


async def test_a_new_customer_with_a_webhook_gets_its_signing_secret_once(client, chain):
    batch, known = chain["batch"], chain["known"]
    response = await name(
        client,
        chain,
        [
            entry(batch, known.code, 10),
            entry(batch, "W-APT", 20, name="Apotek Web", webhook_url="https://web.example/hook"),
            entry(batch, "M-APT", 30, name="Apotek Mail", email="mail@example.com"),
        ],
    )
    assert response.status_code == 201, response.text
    shown = {item["code"]: item["webhook_secret"] for item in response.json()["consignees"]}
    stored = await db.fetch("SELECT webhook_secret FROM consignee WHERE code = 'W-APT'")
    assert shown["W-APT"] == masterdata.open_webhook_secret(stored[0]["webhook_secret"])
    assert shown["W-APT"].startswith("whsec_")
    # Known customers keep their secret to themselves; one without a webhook needs none.
    assert shown[known.code] is None
    assert shown["M-APT"] is None

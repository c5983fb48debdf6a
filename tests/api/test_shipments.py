"""Distribution records over HTTP: one shipment at a time and CSV imports."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from recall import masterdata
from recall.clock import today
from tests.api.helpers import HEADER, post_csv
from tests.factories import (
    gtin_with_check_digit,
    headers_for,
    make_consignee,
    recent_batch,
)

UNKNOWN_GTIN = gtin_with_check_digit("899999999999")


def days_ago(days: int) -> str:
    return (today() - timedelta(days=days)).isoformat()


def shipment(batch: masterdata.Batch, consignee_code: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "gtin": batch.gtin,
        "batch_no": batch.batch_no,
        "consignee_code": consignee_code,
        "quantity": 120,
        "shipped_on": days_ago(30),
    }
    body.update(changes)
    return body


async def test_qa_records_shipment_and_it_is_audited(client):
    batch = await recent_batch()
    pbf = await make_consignee()
    headers = await headers_for("qa")
    response = await client.post("/api/shipments", json=shipment(batch, pbf.code), headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {
        "id": body["id"],
        "batch_id": batch.id,
        "gtin": batch.gtin,
        "batch_no": batch.batch_no,
        "consignee_code": pbf.code,
        "from_consignee_code": None,
        "quantity": 120,
        "shipped_on": days_ago(30),
    }
    trail = await client.get(f"/api/audit?entity=shipment&entity_id={body['id']}", headers=headers)
    assert trail.json()["total"] == 1
    assert trail.json()["items"][0]["new_values"]["consignee_code"] == pbf.code


async def test_consignee_passes_units_on_to_its_customer(client):
    batch = await recent_batch()
    pbf = await make_consignee()
    pharmacy = await make_consignee(kind="pharmacy")
    headers = await headers_for("admin")
    first = await client.post("/api/shipments", json=shipment(batch, pbf.code), headers=headers)
    assert first.status_code == 201, first.text
    onward = shipment(batch, pharmacy.code, from_consignee_code=pbf.code, quantity=20)
    response = await client.post("/api/shipments", json=onward, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["from_consignee_code"] == pbf.code


@pytest.mark.parametrize("role", ["cs", "qa_manager", "inspector", "distributor"])
async def test_only_qa_and_admin_record_shipments(client, role):
    batch = await recent_batch()
    pbf = await make_consignee()
    consignee_code = pbf.code if role == "distributor" else None
    headers = await headers_for(role, consignee_code=consignee_code)
    response = await client.post("/api/shipments", json=shipment(batch, pbf.code), headers=headers)
    assert response.status_code == 403
    listed = await client.get("/api/shipments", headers=await headers_for("qa"))
    assert listed.json()["total"] == 0


@pytest.mark.parametrize(
    ("role", "status"),
    [("qa", 200), ("qa_manager", 200), ("inspector", 200), ("admin", 200), ("cs", 403)],
)
async def test_who_reads_shipments(client, role, status):
    response = await client.get("/api/shipments", headers=await headers_for(role))
    assert response.status_code == status


async def test_distributor_cannot_read_shipments(client):
    pbf = await make_consignee()
    headers = await headers_for("distributor", consignee_code=pbf.code)
    assert (await client.get("/api/shipments", headers=headers)).status_code == 403


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"gtin": UNKNOWN_GTIN}, 422, "gtin"),
        ({"gtin": UNKNOWN_GTIN[:-1] + str((int(UNKNOWN_GTIN[-1]) + 1) % 10)}, 422, "gtin"),
        ({"gtin": "abc"}, 422, "gtin"),
        ({"batch_no": "NO-SUCH"}, 422, "batch_no"),
        ({"consignee_code": "NOBODY"}, 422, "consignee_code"),
        ({"consignee_code": "has space"}, 422, "consignee_code"),
        ({"quantity": 0}, 400, "quantity"),
        ({"quantity": -5}, 400, "quantity"),
        ({"quantity": "ten"}, 400, "quantity"),
        ({"shipped_on": "2020-01-01"}, 422, "shipped_on"),
        ({"shipped_on": "tomorrow"}, 400, "shipped_on"),
        ({"from_consignee_code": "NOBODY"}, 422, "from_consignee_code"),
    ],
)
async def test_bad_shipment_is_refused_naming_the_field(client, changes, status, field):
    batch = await recent_batch()
    pbf = await make_consignee()
    headers = await headers_for("qa")
    body = {**shipment(batch, pbf.code), **changes}
    response = await client.post("/api/shipments", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(f"{field}:")
    assert (await client.get("/api/shipments", headers=headers)).json()["total"] == 0


async def test_shipment_dated_in_the_future_is_refused(client):
    batch = await recent_batch()
    pbf = await make_consignee()
    body = shipment(batch, pbf.code, shipped_on=(today() + timedelta(days=1)).isoformat())
    response = await client.post("/api/shipments", json=body, headers=await headers_for("qa"))
    assert response.status_code == 422
    assert response.json()["detail"] == "shipped_on: must not be in the future"


async def test_shipment_before_manufacture_is_refused(client):
    batch = await recent_batch()
    pbf = await make_consignee()
    body = shipment(batch, pbf.code, shipped_on=days_ago(91))
    response = await client.post("/api/shipments", json=body, headers=await headers_for("qa"))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("shipped_on: before the batch was manufactured")


async def test_sender_must_have_received_the_batch(client):
    batch = await recent_batch()
    other_batch = await recent_batch()
    pbf = await make_consignee()
    pharmacy = await make_consignee(kind="pharmacy")
    headers = await headers_for("qa")
    # The PBF received another batch, not this one.
    await client.post("/api/shipments", json=shipment(other_batch, pbf.code), headers=headers)
    body = shipment(batch, pharmacy.code, from_consignee_code=pbf.code)
    response = await client.post("/api/shipments", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("from_consignee_code:")
    assert "has not received" in response.json()["detail"]


async def test_sender_must_differ_from_consignee(client):
    batch = await recent_batch()
    pbf = await make_consignee()
    headers = await headers_for("qa")
    await client.post("/api/shipments", json=shipment(batch, pbf.code), headers=headers)
    body = shipment(batch, pbf.code, from_consignee_code=pbf.code)
    response = await client.post("/api/shipments", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"] == "from_consignee_code: must differ from consignee_code"


async def test_list_filters_by_batch_and_consignee_and_pages(client):
    first, second = await recent_batch(), await recent_batch()
    pbf, hospital = await make_consignee(), await make_consignee(kind="hospital")
    headers = await headers_for("qa")
    for batch, consignee in [(first, pbf), (first, hospital), (second, pbf)]:
        response = await client.post(
            "/api/shipments", json=shipment(batch, consignee.code), headers=headers
        )
        assert response.status_code == 201
    by_batch = await client.get(f"/api/shipments?batch_id={first.id}", headers=headers)
    assert by_batch.json()["total"] == 2
    assert {item["consignee_code"] for item in by_batch.json()["items"]} == {
        pbf.code,
        hospital.code,
    }
    by_consignee = await client.get(f"/api/shipments?consignee_code={pbf.code}", headers=headers)
    assert by_consignee.json()["total"] == 2
    both = await client.get(
        f"/api/shipments?batch_id={second.id}&consignee_code={pbf.code}", headers=headers
    )
    assert [item["batch_id"] for item in both.json()["items"]] == [second.id]
    page = await client.get("/api/shipments?limit=1&offset=1", headers=headers)
    assert page.json()["total"] == 3
    assert len(page.json()["items"]) == 1


# CSV import ----------------------------------------------------------------------


async def test_import_with_tiers_in_one_file(client):
    batch = await recent_batch()
    pbf, pharmacy = await make_consignee(), await make_consignee(kind="pharmacy")
    headers = await headers_for("qa")
    text = "\n".join(
        [
            HEADER,
            f"{batch.gtin},{batch.batch_no},{pbf.code},500,{days_ago(20)},",
            # The PBF receives the batch on the line above, so it may ship it on.
            f"{batch.gtin},{batch.batch_no},{pharmacy.code},40,{days_ago(10)},{pbf.code}",
            "",
        ]
    )
    response = await post_csv(client, text, headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"imported": 2, "errors": [], "error_count": 0}
    listed = await client.get(f"/api/shipments?batch_id={batch.id}", headers=headers)
    assert listed.json()["total"] == 2
    trail = await client.get("/api/audit?entity=shipment_import", headers=headers)
    assert trail.json()["total"] == 1
    entry = trail.json()["items"][0]["new_values"]
    assert entry["imported"] == 2
    assert entry["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert (await client.get("/api/audit?entity=shipment", headers=headers)).json()["total"] == 0


async def test_import_without_the_optional_column_by_admin(client):
    batch = await recent_batch()
    pbf = await make_consignee()
    text = (
        "batch_no,gtin,shipped_on,consignee_code,quantity\r\n"
        f"{batch.batch_no},{batch.gtin},{days_ago(3)},{pbf.code},7\r\n"
    )
    response = await post_csv(client, text, await headers_for("admin"), "text/csv; charset=utf-8")
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 1


async def test_import_reports_every_bad_line_and_imports_nothing(client):
    batch = await recent_batch()
    pbf, pharmacy = await make_consignee(), await make_consignee(kind="pharmacy")
    headers = await headers_for("qa")
    good = f"{batch.gtin},{batch.batch_no},{pbf.code},100,{days_ago(5)},"
    text = "\n".join(
        [
            HEADER,
            good,  # line 2
            f"{batch.gtin},{batch.batch_no},{pbf.code},zero,{days_ago(5)},",  # 3
            f"{batch.gtin},NOPE,{pbf.code},10,{days_ago(5)},",  # 4
            f"{batch.gtin},{batch.batch_no},GHOST,10,{days_ago(5)},",  # 5
            f"{batch.gtin},{batch.batch_no},{pbf.code},10,22/11/2026,",  # 6
            good,  # 7
            f"{batch.gtin},{batch.batch_no},{pbf.code},10,{days_ago(5)},{pharmacy.code}",  # 8
            f"{batch.gtin},{batch.batch_no},{pbf.code},10",  # 9
            f"12345,{batch.batch_no},{pbf.code},10,{days_ago(5)},",  # 10
        ]
    )
    response = await post_csv(client, text, headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["imported"] == 0
    assert body["status_code"] == 422
    errors = [(error["line"], error["detail"].split(":")[0]) for error in body["errors"]]
    assert errors == [
        (3, "quantity"),
        (4, "batch_no"),
        (5, "consignee_code"),
        (6, "shipped_on"),
        (8, "from_consignee_code"),
        (9, "line"),
        (10, "gtin"),
    ]
    assert (await client.get("/api/shipments", headers=headers)).json()["total"] == 0
    trail = await client.get("/api/audit?entity=shipment_import", headers=headers)
    assert trail.json()["total"] == 0


async def test_import_header_problems_are_line_one(client):
    headers = await headers_for("qa")
    response = await post_csv(client, "gtin,batch_no,consignee,quantity\n1,2,3,4\n", headers)
    assert response.status_code == 422
    details = [error["detail"] for error in response.json()["errors"]]
    assert {error["line"] for error in response.json()["errors"]} == {1}
    assert any("missing column(s) consignee_code, shipped_on" in d for d in details)
    assert any("unknown column(s) 'consignee'" in d for d in details)
    empty = await post_csv(client, "", headers)
    assert empty.status_code == 422
    assert empty.json()["errors"] == [{"line": 1, "detail": "header: the file is empty"}]


async def test_import_needs_csv_utf8_and_the_right_role(client):
    qa = await headers_for("qa")
    wrong_type = await post_csv(client, HEADER, qa, "application/json")
    assert wrong_type.status_code == 415
    not_utf8 = await post_csv(client, HEADER.encode() + b"\n\xff\xfe,1\n", qa)
    assert not_utf8.status_code == 422
    assert not_utf8.json()["detail"].startswith("body:")
    for role in ("qa_manager", "inspector", "cs"):
        forbidden = await post_csv(client, HEADER, await headers_for(role))
        assert forbidden.status_code == 403


async def test_import_over_the_size_limit_is_413(client, settings):
    too_big = b"x" * (settings.max_import_bytes + 1)
    response = await post_csv(client, too_big, await headers_for("qa"))
    assert response.status_code == 413

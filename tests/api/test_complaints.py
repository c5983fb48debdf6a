"""Complaint intake over HTTP: who may do what, what is refused, what the scan fills in."""

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import (
    complaint_body,
    gtin_with_check_digit,
    headers_as,
    headers_for,
    make_batch,
    make_complaint,
    make_product,
)

GS = "\x1d"
REFERENCE = re.compile(r"^CMP-\d{4}-\d{6}$")


def ahead(days: float = 0) -> datetime:
    # Moved clocks stay ahead of real time: tokens issued then are still valid now.
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=days, hours=2)


async def cs_at(frozen_clock, moment):
    """Move the clock; sign in again, since tokens expire by the clock."""
    frozen_clock[0] = moment
    return await headers_for("cs")


# Roles ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["cs", "qa"])
async def test_intake_roles_log_a_complaint(client, role):
    response = await client.post(
        "/api/complaints", json=complaint_body(), headers=await headers_for(role)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "received"
    assert REFERENCE.match(body["reference"])
    assert body["reporter"] == {
        "name": "Ani Wijaya",
        "kind": "patient",
        "organization": None,
        "contact": "+62 812 555 0101",
    }
    assert body["channel"] == "phone"
    assert body["adverse_event"] is False and body["sample_available"] is True
    assert body["category"] is None and body["severity"] is None
    assert body["gtin"] is None and body["product_name"] is None and body["batch_id"] is None
    assert body["received_at"].endswith("Z")


@pytest.mark.parametrize("role", ["qa_manager", "inspector", "admin"])
async def test_other_roles_may_not_log_a_complaint(client, role):
    response = await client.post(
        "/api/complaints", json=complaint_body(), headers=await headers_for(role)
    )
    assert response.status_code == 403
    assert response.json()["status_code"] == 403


async def test_distributor_may_not_log_list_or_read(client):
    complaint = await make_complaint(client, await headers_for("cs"))
    headers = await headers_as("distributor")
    create = await client.post("/api/complaints", json=complaint_body(), headers=headers)
    listing = await client.get("/api/complaints", headers=headers)
    detail = await client.get(f"/api/complaints/{complaint['id']}", headers=headers)
    assert [create.status_code, listing.status_code, detail.status_code] == [403, 403, 403]


@pytest.mark.parametrize("role", ["cs", "qa", "qa_manager", "inspector", "admin"])
async def test_reading_roles_list_and_read(client, role):
    complaint = await make_complaint(client, await headers_for("cs"))
    headers = await headers_for(role)
    listing = await client.get("/api/complaints", headers=headers)
    assert listing.status_code == 200
    assert listing.json()["total"] == 1
    detail = await client.get(f"/api/complaints/{complaint['id']}", headers=headers)
    assert detail.status_code == 200
    assert detail.json()["reference"] == complaint["reference"]


async def test_without_a_token_everything_is_401(client):
    for method, path in [("POST", "/api/complaints"), ("GET", "/api/complaints"),
                         ("GET", "/api/complaints/1")]:  # fmt: skip
        response = await client.request(method, path, json=complaint_body())
        assert response.status_code == 401


# Product, batch and scans --------------------------------------------------------------


async def test_typed_gtin_and_batch_link_the_product_and_batch(client):
    batch = await make_batch(batch_no="PCT2301")
    body = await make_complaint(
        client, await headers_for("cs"), gtin=batch.gtin[1:], batch_no="PCT2301"
    )
    assert body["gtin"] == batch.gtin
    assert body["product_id"] == batch.product_id
    assert body["product_name"] == "Paracetamol Syrup"
    assert body["product_strength"] == "120 mg/5 mL"
    assert (body["batch_id"], body["batch_no"], body["batch_known"]) == (batch.id, "PCT2301", True)
    assert body["expires_on"] == "2028-01-31"  # from the batch record


async def test_human_readable_scan_fills_product_batch_expiry_and_serial(client):
    batch = await make_batch(batch_no="PCT2302")
    scan = f"(01){batch.gtin}(17)280131(10)PCT2302(21)SN-000042"
    body = await make_complaint(client, await headers_for("cs"), barcode=scan)
    assert body["gtin"] == batch.gtin
    assert body["product_name"] == "Paracetamol Syrup"
    assert (body["batch_id"], body["batch_no"]) == (batch.id, "PCT2302")
    assert body["expires_on"] == "2028-01-31"
    assert body["serial"] == "SN-000042"
    assert body["barcode"] == scan


async def test_raw_scan_with_group_separators_fills_fields(client):
    batch = await make_batch(batch_no="PCT2303")
    scan = f"01{batch.gtin}17280131" + f"10PCT2303{GS}21SN9"
    body = await make_complaint(client, await headers_for("qa"), barcode=scan)
    assert (body["batch_id"], body["batch_no"], body["serial"]) == (batch.id, "PCT2303", "SN9")
    assert body["expires_on"] == "2028-01-31"


async def test_scan_and_typed_values_that_agree_are_accepted(client):
    batch = await make_batch(batch_no="PCT2304")
    body = await make_complaint(
        client,
        await headers_for("cs"),
        gtin=batch.gtin,
        batch_no="PCT2304",
        barcode=f"(01){batch.gtin}(10)PCT2304",
    )
    assert body["batch_id"] == batch.id


async def test_unknown_batch_of_a_known_product_is_accepted_and_flagged(client):
    product = await make_product()
    body = await make_complaint(
        client, await headers_for("cs"), gtin=product.gtin, batch_no="FAKE001"
    )
    assert body["product_id"] == product.id
    assert (body["batch_no"], body["batch_id"], body["batch_known"]) == ("FAKE001", None, False)


async def test_scanned_unknown_batch_is_accepted_and_flagged(client):
    product = await make_product()
    body = await make_complaint(
        client, await headers_for("cs"), barcode=f"(01){product.gtin}(17)290101(10)X99"
    )
    assert (body["batch_no"], body["batch_known"], body["expires_on"]) == (
        "X99", False, "2029-01-01",
    )  # fmt: skip


async def test_general_complaint_without_product(client):
    body = await make_complaint(
        client, await headers_for("cs"), description="Nobody answers the hotline."
    )
    assert body["gtin"] is None and body["batch_no"] is None and body["batch_known"] is None


# Refusals -------------------------------------------------------------------------------


async def assert_refused(client, body, status, field, headers=None):
    headers = headers or await headers_for("cs")
    response = await client.post("/api/complaints", json=body, headers=headers)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["status_code"] == status
    assert field in error["detail"], error
    return error


async def test_unknown_gtin_is_422_naming_gtin(client):
    unknown = gtin_with_check_digit("899765432101")
    await assert_refused(client, complaint_body(gtin=unknown), 422, "gtin")


async def test_gtin_with_wrong_check_digit_is_422_naming_gtin(client):
    product = await make_product()
    wrong = product.gtin[:-1] + str((int(product.gtin[-1]) + 1) % 10)
    error = await assert_refused(client, complaint_body(gtin=wrong), 422, "gtin")
    assert error["detail"].startswith("gtin: ")


async def test_unknown_gtin_in_a_scan_is_422_naming_barcode(client):
    unknown = "0" + gtin_with_check_digit("899765432102")
    error = await assert_refused(
        client, complaint_body(barcode=f"(01){unknown}(10)B1"), 422, "barcode"
    )
    assert error["detail"].startswith("barcode: ")


@pytest.mark.parametrize("scan", ["not a barcode", "(10)B1(17)281231", "(01)123"])
async def test_malformed_scan_is_422_naming_barcode(client, scan):
    await assert_refused(client, complaint_body(barcode=scan), 422, "barcode")


async def test_scan_and_typed_gtin_that_disagree_is_422_naming_gtin(client):
    batch = await make_batch()
    other = await make_product()
    body = complaint_body(gtin=other.gtin, barcode=f"(01){batch.gtin}(10){batch.batch_no}")
    error = await assert_refused(client, body, 422, "gtin")
    assert error["detail"].startswith("gtin: ")


async def test_scan_and_typed_batch_that_disagree_is_422_naming_batch_no(client):
    batch = await make_batch()
    body = complaint_body(batch_no="OTHER1", barcode=f"(01){batch.gtin}(10){batch.batch_no}")
    error = await assert_refused(client, body, 422, "batch_no")
    assert error["detail"].startswith("batch_no: ")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"channel": None}, "channel"),
        ({"reporter": {"name": "Ani", "kind": "alien"}}, "reporter.kind"),
        ({"reporter": {"name": "", "kind": "patient"}}, "reporter.name"),
        ({"reporter": {"name": "A" * 201, "kind": "patient"}}, "reporter.name"),
        (
            {"reporter": {"name": "Ani", "kind": "nurse", "organization": "O" * 201}},
            "reporter.organization",
        ),
        ({"reporter": {"name": "Ani", "kind": "nurse", "contact": "9" * 201}}, "reporter.contact"),
        ({"reporter": "Ani"}, "reporter"),
        ({"description": ""}, "description"),
        ({"description": "x" * 5001}, "description"),
        ({"adverse_event": "maybe"}, "adverse_event"),
        ({"sample_available": None}, "sample_available"),
        ({"gtin": "1" * 15}, "gtin"),
        ({"batch_no": "B" * 41}, "batch_no"),
    ],
)
async def test_bad_values_are_400_naming_the_field(client, changes, field):
    error = await assert_refused(client, complaint_body(**changes), 400, field)
    assert error["detail"].startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"description": "   \n  "}, "description"),
        ({"description": "bad\x00byte"}, "description"),
        ({"reporter": {"name": "   ", "kind": "patient"}}, "reporter.name"),
        ({"gtin": "12345"}, "gtin"),
        ({"batch_no": "B 1\t2"}, "batch_no"),
    ],
)
async def test_values_breaking_domain_rules_are_422_naming_the_field(client, changes, field):
    error = await assert_refused(client, complaint_body(**changes), 422, field)
    assert error["detail"].startswith(f"{field}: ")


@pytest.mark.parametrize(
    "missing", ["channel", "reporter", "description", "adverse_event", "sample_available"]
)
async def test_missing_required_field_is_400_naming_it(client, missing):
    body = complaint_body()
    del body[missing]
    await assert_refused(client, body, 400, missing)


@pytest.mark.parametrize("missing", ["name", "kind"])
async def test_missing_reporter_field_is_400_naming_it(client, missing):
    reporter = {"name": "Ani", "kind": "patient"}
    del reporter[missing]
    await assert_refused(client, complaint_body(reporter=reporter), 400, missing)


async def test_body_that_is_not_json_is_400(client):
    response = await client.post(
        "/api/complaints",
        content=b"{not json",
        headers={**await headers_for("cs"), "content-type": "application/json"},
    )
    assert response.status_code == 400


async def test_body_over_one_mebibyte_is_413(client):
    headers = await headers_for("cs")
    body = complaint_body(description="x" * (1024 * 1024 + 1))
    response = await client.post("/api/complaints", json=body, headers=headers)
    assert response.status_code == 413
    assert response.json()["status_code"] == 413


async def test_refused_complaints_leave_nothing_behind(client):
    headers = await headers_for("qa")
    unknown = gtin_with_check_digit("899765432103")
    await assert_refused(client, complaint_body(gtin=unknown), 422, "gtin", headers)
    listing = await client.get("/api/complaints", headers=headers)
    assert listing.json()["total"] == 0
    trail = await client.get("/api/audit?entity=complaint", headers=headers)
    assert trail.json()["total"] == 0
    # No reference number was used up by the refused attempt.
    first = await make_complaint(client, headers)
    assert first["reference"].endswith("-000001")


# References ------------------------------------------------------------------------------


async def test_references_count_up_within_the_year_of_receipt(client, frozen_clock):
    year = ahead().year + 1
    headers = await cs_at(frozen_clock, datetime(year, 12, 31, 23, 59, tzinfo=UTC))
    first = await make_complaint(client, headers)
    second = await make_complaint(client, headers)
    headers = await cs_at(frozen_clock, datetime(year + 1, 1, 1, 0, 1, tzinfo=UTC))
    third = await make_complaint(client, headers)
    assert [first["reference"], second["reference"], third["reference"]] == [
        f"CMP-{year}-000001", f"CMP-{year}-000002", f"CMP-{year + 1}-000001",
    ]  # fmt: skip


async def test_concurrent_intake_gives_distinct_references(client):
    headers = await headers_for("cs")
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/complaints", json=complaint_body(description=f"case {n}"), headers=headers
            )
            for n in range(20)
        )
    )
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses]
    references = sorted(r.json()["reference"] for r in responses)
    year = datetime.now(UTC).year
    assert references == [f"CMP-{year}-{n:06d}" for n in range(1, 21)]
    listing = await client.get("/api/complaints?limit=50", headers=headers)
    assert listing.json()["total"] == 20


# Reading ------------------------------------------------------------------------------------


async def test_unknown_id_is_404(client):
    headers = await headers_for("qa")
    for complaint_id in (1, 0, 999_999_999_999):
        response = await client.get(f"/api/complaints/{complaint_id}", headers=headers)
        assert response.status_code == 404
        assert response.json()["status_code"] == 404


async def test_detail_history_shows_the_creation(client):
    cs = await headers_for("cs")
    batch = await make_batch(batch_no="H1")
    complaint = await make_complaint(client, cs, gtin=batch.gtin, batch_no="H1")
    detail = (await client.get(f"/api/complaints/{complaint['id']}", headers=cs)).json()
    assert {key: detail[key] for key in complaint} == complaint
    [entry] = detail["history"]
    assert entry["action"] == "created"
    assert entry["actor_name"].startswith("Test Cs")
    assert entry["old_values"] == {}
    assert entry["new_values"]["reference"] == complaint["reference"]
    assert entry["new_values"]["batch_id"] == batch.id
    assert entry["new_values"]["description"] == complaint["description"]
    assert entry["at"].endswith("Z")
    verify = await client.get("/api/audit/verify", headers=await headers_for("inspector"))
    assert verify.json()["ok"] is True


async def test_possible_duplicates_are_same_batch_within_thirty_days(client, frozen_clock):
    batch = await make_batch(batch_no="DUP1")
    other_batch = await make_batch(batch.gtin, batch_no="DUP2")
    start = ahead(days=40)
    same_batch = {"gtin": batch.gtin, "batch_no": "DUP1"}

    cs = await cs_at(frozen_clock, start - timedelta(days=31))
    too_early = await make_complaint(client, cs, **same_batch)
    cs = await cs_at(frozen_clock, start - timedelta(days=30))
    edge_before = await make_complaint(client, cs, **same_batch)
    cs = await cs_at(frozen_clock, start)
    subject = await make_complaint(client, cs, barcode=f"(01){batch.gtin}(10)DUP1")
    await make_complaint(client, cs, gtin=other_batch.gtin, batch_no="DUP2")
    await make_complaint(client, cs)  # no product at all
    cs = await cs_at(frozen_clock, start + timedelta(days=29))
    later = await make_complaint(client, cs, **same_batch, description="Again. " * 80)
    cs = await cs_at(frozen_clock, start + timedelta(days=31))
    await make_complaint(client, cs, **same_batch)

    detail = (await client.get(f"/api/complaints/{subject['id']}", headers=cs)).json()
    duplicates = detail["possible_duplicates"]
    assert [d["reference"] for d in duplicates] == [edge_before["reference"], later["reference"]]
    assert set(duplicates[1]) == {
        "id", "reference", "received_at", "status", "category", "description_excerpt",
    }  # fmt: skip
    assert duplicates[1]["status"] == "received"
    assert duplicates[1]["description_excerpt"].endswith("…")
    assert len(duplicates[1]["description_excerpt"]) <= 200

    early = (await client.get(f"/api/complaints/{too_early['id']}", headers=cs)).json()
    assert [d["id"] for d in early["possible_duplicates"]] == [edge_before["id"]]


async def test_possible_duplicates_of_an_unknown_batch_match_gtin_and_batch_no(client):
    cs = await headers_for("cs")
    product = await make_product()
    other = await make_product(name="Amoxicillin")
    first = await make_complaint(client, cs, gtin=product.gtin, batch_no="FAKE9")
    second = await make_complaint(client, cs, gtin=product.gtin, batch_no="FAKE9")
    await make_complaint(client, cs, gtin=other.gtin, batch_no="FAKE9")
    detail = (await client.get(f"/api/complaints/{second['id']}", headers=cs)).json()
    assert [d["id"] for d in detail["possible_duplicates"]] == [first["id"]]


# Listing ---------------------------------------------------------------------------------------


async def test_list_is_newest_first_and_paginates(client, frozen_clock):
    references = []
    for day in range(5):
        cs = await cs_at(frozen_clock, ahead(days=day))
        references.append((await make_complaint(client, cs))["reference"])
    page = (await client.get("/api/complaints?limit=2&offset=1", headers=cs)).json()
    assert page["total"] == 5
    assert [c["reference"] for c in page["items"]] == [references[3], references[2]]
    everything = (await client.get("/api/complaints", headers=cs)).json()
    assert [c["reference"] for c in everything["items"]] == references[::-1]


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "limit=x"])
async def test_bad_paging_is_400(client, query):
    response = await client.get(f"/api/complaints?{query}", headers=await headers_for("qa"))
    assert response.status_code == 400


async def test_list_filters_by_status_and_batch_no(client):
    cs = await headers_for("cs")
    batch = await make_batch(batch_no="FLT1")
    on_batch = await make_complaint(client, cs, gtin=batch.gtin, batch_no="FLT1")
    await make_complaint(client, cs)
    by_batch = (await client.get("/api/complaints?batch_no=FLT1", headers=cs)).json()
    assert (by_batch["total"], by_batch["items"][0]["id"]) == (1, on_batch["id"])
    received = (await client.get("/api/complaints?status=received", headers=cs)).json()
    assert received["total"] == 2
    closed = (await client.get("/api/complaints?status=closed", headers=cs)).json()
    assert closed == {"items": [], "total": 0}
    bad = await client.get("/api/complaints?status=lost", headers=cs)
    assert bad.status_code == 400
    assert "status" in bad.json()["detail"]


async def test_free_text_search_is_case_insensitive_over_many_fields(client):
    cs = await headers_for("cs")
    batch = await make_batch(batch_no="QX77")
    by_product = await make_complaint(client, cs, gtin=batch.gtin, batch_no="QX77")
    by_org = await make_complaint(
        client, cs,
        reporter={"name": "Budi", "kind": "pharmacist", "organization": "Apotek Sehat Selalu"},
        description="Label smudged.",
    )  # fmt: skip
    by_text = await make_complaint(client, cs, description="Bottle arrived LEAKING.")

    async def search(q):
        page = (await client.get("/api/complaints", params={"q": q}, headers=cs)).json()
        return sorted(c["id"] for c in page["items"]), page["total"]

    assert await search("paracetamol") == ([by_product["id"]], 1)
    assert await search("qx7") == ([by_product["id"]], 1)
    assert await search("SEHAT") == ([by_org["id"]], 1)
    assert await search("budi") == ([by_org["id"]], 1)
    assert await search("leaking") == ([by_text["id"]], 1)
    assert await search(by_text["reference"].lower()) == ([by_text["id"]], 1)
    assert await search("nothing like this") == ([], 0)


async def test_search_treats_percent_and_underscore_literally(client):
    cs = await headers_for("cs")
    percent = await make_complaint(
        client, cs, description="Only 50% of the tablets were in the strip."
    )
    underscore = await make_complaint(client, cs, description="Leaflet code LF_12 missing.")
    await make_complaint(client, cs, description="Leaflet code LFX12 missing; 500 tablets.")

    async def search(q):
        page = (await client.get("/api/complaints", params={"q": q}, headers=cs)).json()
        return [c["id"] for c in page["items"]]

    assert await search("%") == [percent["id"]]
    assert await search("50%") == [percent["id"]]
    assert await search("lf_1") == [underscore["id"]]
    assert await search("!") == []

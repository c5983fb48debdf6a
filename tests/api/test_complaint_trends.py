"""Complaint trends for QA: counts by month, category and product, and by batch."""

from datetime import UTC, datetime

import pytest

from recall import complaints
from recall.actors import SYSTEM
from tests.factories import headers_for, make_batch, make_consignee, make_product


async def received(at: datetime, batch=None, adverse_event: bool = False) -> int:
    complaint = await complaints.log_complaint(
        SYSTEM,
        complaints.ComplaintIntake(
            channel="phone",
            reporter=complaints.Reporter("Ani Wijaya", "patient"),
            description="Cloudy syrup.",
            adverse_event=adverse_event,
            sample_available=False,
            gtin=batch.gtin if batch else None,
            batch_no=batch.batch_no if batch else None,
            received_at=at,
        ),
    )
    return complaint.id


async def trends(client, query="", role="qa"):
    response = await client.get(f"/api/complaints/trends{query}", headers=await headers_for(role))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def history():
    """Complaints around a first quarter, on two products and three batches."""
    syrup = await make_product(name="Paracetamol Syrup")
    tablets = await make_product(name="Amoxicillin Tablets", strength="500 mg")
    s1 = await make_batch(syrup.gtin, batch_no="PS2601")
    s2 = await make_batch(syrup.gtin, batch_no="PS2602")
    t1 = await make_batch(tablets.gtin, batch_no="AT2601")
    ids = {
        "before": await received(datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC), s1),
        "jan_untriaged": await received(datetime(2026, 1, 10, 8, tzinfo=UTC), s1),
        "jan_defect": await received(datetime(2026, 1, 20, 9, tzinfo=UTC), s1),
        "jan_last": await received(datetime(2026, 1, 31, 23, 30, tzinfo=UTC), s2),
        "feb": await received(datetime(2026, 2, 1, 0, 10, tzinfo=UTC), t1),
        "mar_general": await received(datetime(2026, 3, 5, 12, tzinfo=UTC)),
        "mar_last": await received(datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC), t1),
        "after": await received(datetime(2026, 4, 1, 0, 0, tzinfo=UTC), t1),
    }
    return {"syrup": syrup, "tablets": tablets, **ids}


async def test_counts_by_month_category_and_product(client, history):
    qa = await headers_for("qa")
    response = await client.post(
        f"/api/complaints/{history['jan_defect']}/triage",
        json={"category": "quality_defect", "severity": "major", "investigate": True},
        headers=qa,
    )
    assert response.status_code == 200, response.text

    body = await trends(client, "?from=2026-01-01&to=2026-03-31")
    assert (body["from"], body["to"]) == ("2026-01-01", "2026-03-31")
    syrup, tablets = history["syrup"], history["tablets"]
    assert [
        (row["month"], row["category"], row["product"], row["product_id"], row["count"])
        for row in body["by_month"]
    ] == [
        ("2026-01", "quality_defect", "Paracetamol Syrup", syrup.id, 1),
        ("2026-01", "untriaged", "Paracetamol Syrup", syrup.id, 2),
        ("2026-02", "untriaged", "Amoxicillin Tablets", tablets.id, 1),
        ("2026-03", "untriaged", None, None, 1),
        ("2026-03", "untriaged", "Amoxicillin Tablets", tablets.id, 1),
    ]


async def test_counts_by_batch_most_complained_first(client, history):
    body = await trends(client, "?from=2026-01-01&to=2026-03-31")
    assert [(row["batch_no"], row["product"], row["count"]) for row in body["by_batch"]] == [
        ("AT2601", "Amoxicillin Tablets", 2),
        ("PS2601", "Paracetamol Syrup", 2),
        ("PS2602", "Paracetamol Syrup", 1),
    ]
    assert body["by_batch"][0]["gtin"] == history["tablets"].gtin


async def test_a_single_day_window(client, history):
    body = await trends(client, "?from=2026-04-01&to=2026-04-01")
    assert [(row["month"], row["count"]) for row in body["by_month"]] == [("2026-04", 1)]
    assert [row["batch_no"] for row in body["by_batch"]] == ["AT2601"]


async def test_an_empty_window_has_no_rows(client, history):
    body = await trends(client, "?from=2030-01-01&to=2030-12-31")
    assert body["by_month"] == []
    assert body["by_batch"] == []


@pytest.fixture
def mid_june(frozen_clock: list[datetime]) -> datetime:
    frozen_clock[0] = datetime(2027, 6, 15, 10, tzinfo=UTC)
    return frozen_clock[0]


async def test_default_window_is_the_twelve_months_up_to_today(client, mid_june):
    await received(datetime(2026, 6, 30, 23, 59, tzinfo=UTC))
    await received(datetime(2026, 7, 1, 0, 0, tzinfo=UTC))
    await received(datetime(2027, 6, 15, 9, tzinfo=UTC))
    body = await trends(client)
    assert (body["from"], body["to"]) == ("2026-07-01", "2027-06-15")
    assert [(row["month"], row["count"]) for row in body["by_month"]] == [
        ("2026-07", 1),
        ("2027-06", 1),
    ]


async def test_only_to_given_counts_twelve_months_back_from_it(client, history):
    body = await trends(client, "?to=2026-02-28")
    assert body["from"] == "2025-03-01"
    assert sum(row["count"] for row in body["by_month"]) == 5  # before, three in Jan, one in Feb


async def test_from_after_to_is_422_naming_from(client):
    response = await client.get(
        "/api/complaints/trends?from=2026-05-01&to=2026-04-01", headers=await headers_for("qa")
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("from:")


@pytest.mark.parametrize("query", ["?from=2026-13-01", "?to=yesterday", "?from=2026-02-30"])
async def test_malformed_dates_are_400(client, query):
    response = await client.get(f"/api/complaints/trends{query}", headers=await headers_for("qa"))
    assert response.status_code == 400


@pytest.mark.parametrize("role", ["qa", "qa_manager", "inspector", "admin"])
async def test_quality_roles_read_trends(client, role):
    body = await trends(client, role=role)
    assert set(body) == {"by_month", "by_batch", "from", "to"}


async def test_cs_and_distributors_may_not_read_trends(client):
    cs = await client.get("/api/complaints/trends", headers=await headers_for("cs"))
    assert cs.status_code == 403
    consignee = await make_consignee()
    distributor = await headers_for("distributor", consignee_code=consignee.code)
    response = await client.get("/api/complaints/trends", headers=distributor)
    assert response.status_code == 403


async def test_the_widest_window_counts_everything(client, history):
    body = await trends(client, "?from=1900-01-01&to=2200-12-31")
    assert sum(row["count"] for row in body["by_month"]) == 8

"""Complaint trends: charts drawn on the server as SVG images, each with its numbers as a table."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import headers_for, make_batch, make_complaint, make_product, make_user
from tests.pages.helpers import EN, sign_in, signed_in_as

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
async def complaints_logged(client):
    """Three complaints on a syrup batch (one triaged), one on tablets, this month."""
    syrup = await make_batch(batch_no="SYR2401")
    tablets = await make_batch(
        (await make_product(name="Ibuprofen Tablets", strength="400 mg")).gtin, batch_no="IBU100"
    )
    cs, qa = await headers_for("cs"), await headers_for("qa")
    first = await make_complaint(client, cs, barcode=f"(01){syrup.gtin}(10)SYR2401")
    await make_complaint(client, cs, barcode=f"(01){syrup.gtin}(10)SYR2401")
    await make_complaint(client, cs, barcode=f"(01){syrup.gtin}(10)SYR2401")
    await make_complaint(client, cs, barcode=f"(01){tablets.gtin}(10)IBU100", adverse_event=True)
    triaged = await client.post(
        f"/api/complaints/{first['id']}/triage",
        json={"category": "quality_defect", "severity": "major", "investigate": True},
        headers=qa,
    )
    assert triaged.status_code == 200


def month_label(moment: datetime) -> str:
    return f"{moment:%m/%y}"


async def test_trends_page_shows_charts_with_tables_in_english(client, complaints_logged):
    await signed_in_as(client, "qa")
    response = await client.get("/trends", headers=EN)
    assert response.status_code == 200
    html = response.text
    assert "<h1>Complaint trends</h1>" in html
    assert "4 complaints in this period." in html
    for chart in ("months", "categories", "products"):
        assert re.search(rf'<img class="chart" src="/trends/{chart}.svg"[^>]* alt="[^"]+"', html)
    # The numbers behind each chart, as tables.
    assert re.search(r'<th scope="row">Paracetamol Syrup</th><td class="n">3</td>', html)
    assert re.search(r'<th scope="row">Ibuprofen Tablets</th><td class="n">1</td>', html)
    assert re.search(r'<th scope="row">Quality defect</th><td class="n">1</td>', html)
    assert re.search(r'<th scope="row">Not triaged yet</th><td class="n">3</td>', html)
    assert f'<th scope="row">{month_label(datetime.now(UTC))}</th>' in html
    assert re.search(r"SYR2401</a></th>\s*<td>Paracetamol Syrup</td>", html)
    assert "<script" not in html


async def test_trends_page_in_indonesian(client, complaints_logged):
    await signed_in_as(client, "inspector")
    html = (await client.get("/trends")).text
    assert "<h1>Tren keluhan</h1>" in html
    assert "Keluhan per bulan, menurut kategori" in html and "Cacat mutu" in html


@pytest.mark.parametrize("chart", ["months", "categories", "products"])
async def test_each_chart_is_a_valid_svg_image_without_scripts(client, complaints_logged, chart):
    await signed_in_as(client, "qa_manager")
    response = await client.get(f"/trends/{chart}.svg", headers=EN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    assert not list(root.iter(f"{SVG}script"))
    text = " ".join(root.itertext())
    expected = {
        "months": "Quality defect",
        "categories": "Not triaged yet",
        "products": "Ibuprofen Tablets",
    }[chart]
    assert expected in text


async def test_charts_follow_the_period_and_language(client, complaints_logged):
    await signed_in_as(client, "qa")
    old = (datetime.now(UTC) - timedelta(days=800)).date()
    quiet = {"from": old.isoformat(), "to": (old + timedelta(days=30)).isoformat()}
    html = (await client.get("/trends", params=quiet, headers=EN)).text
    assert "0 complaints in this period." in html
    assert f'src="/trends/months.svg?from={quiet["from"]}&amp;to={quiet["to"]}"' in html
    chart = await client.get("/trends/categories.svg", params=quiet)
    assert "Tidak ada keluhan dalam periode ini" in " ".join(
        ET.fromstring(chart.content).itertext()
    )


async def test_a_bad_period_is_422_with_the_field_marked(client):
    await signed_in_as(client, "qa")
    response = await client.get("/trends", params={"from": "last year"}, headers=EN)
    assert response.status_code == 422
    assert re.search(r'name="from"[^>]*aria-invalid="true"', response.text)
    backwards = await client.get("/trends", params={"from": "2026-05-01", "to": "2026-01-01"})
    assert backwards.status_code == 422
    assert (await client.get("/trends/months.svg", params={"to": "soon"})).status_code == 422


async def test_a_long_period_draws_every_month(client):
    await signed_in_as(client, "qa")
    html = (
        await client.get("/trends", params={"from": "2024-01-01", "to": "2025-12-31"}, headers=EN)
    ).text
    assert '<th scope="row">01/24</th>' in html and '<th scope="row">12/25</th>' in html
    assert len(re.findall(r'<th scope="row">\d\d/\d\d</th>', html)) == 24


@pytest.mark.parametrize("role", ["cs", "distributor"])
async def test_customer_service_and_consignees_do_not_see_trends(client, role):
    from tests.factories import make_consignee

    code = (await make_consignee()).code if role == "distributor" else None
    user = await make_user(role, consignee_code=code)
    await sign_in(client, user.username)
    assert (await client.get("/trends")).status_code == 403
    assert (await client.get("/trends/months.svg")).status_code == 403

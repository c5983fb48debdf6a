"""The consignee portal: the notice's link opens a page to acknowledge, report stock, return."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from recall import db, masterdata, notices
from recall.clock import today
from tests.factories import (
    approved_recall,
    headers_for,
    make_batch,
    make_consignee,
    recent_batch,
    scan,
    ship,
)
from tests.reads import lines, notice_row, trail


@pytest.fixture
async def portal(client):
    """A drill recall of two batches held by one pharmacy; its portal link."""
    first = await recent_batch()
    second = await make_batch(
        manufactured_on=today() - timedelta(days=60), expires_on=today() + timedelta(days=650)
    )
    pharmacy = await make_consignee("P-APT", name="Apotek <Sehat> & Co", kind="pharmacy")
    await ship(first, pharmacy, 120)
    await ship(second, pharmacy, 30)
    recall = await approved_recall(
        client,
        first,
        batch_ids=[first.id, second.id],
        drill=True,
        reason="Contaminated solvent <script>alert(1)</script>",
    )
    (row,) = await db.fetch("SELECT id FROM notice WHERE consignee = {}", pharmacy.id)
    return {
        "first": first,
        "second": second,
        "pharmacy": pharmacy,
        "recall": recall,
        "notice_id": row["id"],
        "url": f"/portal/notices/{await notices.portal_token(row['id'])}",
    }


def form_key(page: str) -> str:
    match = re.search(r'name="form_key" value="([^"]+)"', page)
    assert match
    return match[1]


async def test_page_shows_the_recall_in_plain_words(client, portal):
    response = await client.get(portal["url"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    page = response.text
    assert "LATIHAN / DRILL" in page
    assert portal["recall"]["reference"] in page
    assert "Kelas I" in page and "Class I" in page
    for batch in (portal["first"], portal["second"]):
        assert batch.batch_no in page
        assert batch.gtin in page
        assert batch.expires_on.isoformat() in page
        assert batch.product_name in page
    assert ">120<" in page and ">30<" in page  # what this pharmacy received
    assert "Asia/Jakarta" in page  # respond-by, in local time
    # Everything is escaped.
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Apotek &lt;Sehat&gt; &amp; Co" in page


async def test_a_real_recall_is_not_marked_as_drill(client):
    batch = await recent_batch()
    pbf = await make_consignee("R-PBF")
    await ship(batch, pbf, 10)
    await approved_recall(client, batch)
    (row,) = await db.fetch("SELECT id FROM notice WHERE consignee = {}", pbf.id)
    response = await client.get(f"/portal/notices/{await notices.portal_token(row['id'])}")
    assert response.status_code == 200
    assert "DRILL" not in response.text


async def test_acknowledge_through_the_form(client, portal):
    page = (await client.get(portal["url"])).text
    response = await client.post(f"{portal['url']}/acknowledge", data={"form_key": form_key(page)})
    assert response.status_code == 303
    assert response.headers["location"] == f"{portal['url']}?done=acknowledged"
    row = await notice_row(portal["notice_id"])
    assert row["status"] == "acknowledged"
    assert row["acknowledged_at"] is not None
    entries = await client.get(
        "/api/audit",
        params={"entity": "notice", "entity_id": str(portal["notice_id"])},
        headers=await headers_for("admin"),
    )
    (entry,) = entries.json()["items"]
    assert entry["action"] == "acknowledged"
    assert entry["actor_name"] == "Apotek <Sehat> & Co (portal:P-APT)"
    shown = await client.get(response.headers["location"])
    assert "penerimaan Anda tercatat" in shown.text
    assert "Sudah dikonfirmasi" in shown.text


async def test_stock_through_the_form(client, portal):
    first, second = portal["first"], portal["second"]
    response = await client.post(
        f"{portal['url']}/stock",
        data={
            "lines[0].batch_no": first.batch_no,
            "lines[0].quantity_on_hand": "100",
            "lines[0].quarantined": "100",
            "lines[1].batch_no": second.batch_no,
            "lines[1].quantity_on_hand": "",
            "lines[1].quarantined": "",
        },
    )
    assert response.status_code == 303, response.text
    assert (await notice_row(portal["notice_id"]))["status"] == "responded"
    stored = await lines(portal["notice_id"])
    assert stored[first.batch_no] == {"on_hand": 100, "quarantined": 100, "returned": 0}
    assert stored[second.batch_no]["on_hand"] is None
    assert await trail(client, portal["notice_id"]) == ["stock_reported"]


async def test_returns_through_the_form_as_quantities_or_scans(client, portal):
    first, second = portal["first"], portal["second"]
    page = (await client.get(portal["url"])).text
    quantities = {
        "form_key": form_key(page),
        "lines[0].batch_no": first.batch_no,
        "lines[0].quantity": "20",
        "lines[1].batch_no": second.batch_no,
        "lines[1].quantity": "",
        "scans": "",
    }
    response = await client.post(f"{portal['url']}/returns", data=quantities)
    assert response.status_code == 303, response.text
    # The same form sent twice (a double click) is recorded once.
    again = await client.post(f"{portal['url']}/returns", data=quantities)
    assert again.status_code == 303
    assert (await lines(portal["notice_id"]))[first.batch_no]["returned"] == 20
    # Back on the same page, other values are a new return.
    other = await client.post(
        f"{portal['url']}/returns", data={**quantities, "lines[0].quantity": "5"}
    )
    assert other.status_code == 303, other.text
    assert (await lines(portal["notice_id"]))[first.batch_no]["returned"] == 25

    scans = "\n".join([scan(second, "S1"), "", scan(second, "S2"), scan(second, "S1")])
    response = await client.post(f"{portal['url']}/returns", data={"scans": scans})
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("done=returns&duplicates=1")
    assert (await lines(portal["notice_id"]))[second.batch_no]["returned"] == 2
    shown = await client.get(response.headers["location"])
    assert "1 repeated scan" in shown.text
    assert await trail(client, portal["notice_id"]) == ["returns_recorded"] * 3


async def test_returns_scanned_from_bpom_2d_barcodes_carrying_only_the_nie(client, portal):
    second = portal["second"]
    nie = (await masterdata.get_product(second.product_id)).nie
    scans = "\n".join(
        f"(90){nie}(10){second.batch_no}(17){second.expires_on:%y%m%d}(21){serial}"
        for serial in ("N1", "N2")
    )
    response = await client.post(f"{portal['url']}/returns", data={"scans": scans})
    assert response.status_code == 303, response.text
    assert (await lines(portal["notice_id"]))[second.batch_no]["returned"] == 2


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        ("stock", {"lines[0].quantity_on_hand": "ten"}, "lines[0].quantity_on_hand"),
        (
            "stock",
            {"lines[1].quantity_on_hand": "5", "lines[1].quarantined": "6"},
            "lines[1].quarantined",
        ),
        ("stock", {}, "lines"),
        ("returns", {"lines[0].quantity": "-3"}, "lines[0].quantity"),
        ("returns", {"scans": "not a barcode"}, "scans[0]"),
        ("returns", {"lines[0].quantity": "1", "scans": "(01)x"}, "scans"),
    ],
)
async def test_bad_input_is_422_naming_the_field(client, portal, path, data, field):
    rows = {
        "lines[0].batch_no": portal["first"].batch_no,
        "lines[1].batch_no": portal["second"].batch_no,
    }
    response = await client.post(f"{portal['url']}/{path}", data={**rows, **data})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f"<code>{field}</code>" in page
    if field.startswith("lines["):
        assert re.search(rf'name="{re.escape(field)}"[^>]*aria-invalid="true"', page, re.S)
    for value in data.values():
        if value and "<" not in value:
            assert value in page  # what was typed is kept
    assert await trail(client, portal["notice_id"]) == []


async def test_unknown_link_is_404(client, portal):
    for url in ("/portal/notices/" + "A" * 43, "/portal/notices/short", "/portal/notices/%00"):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "Unknown link" in response.text
    response = await client.post("/portal/notices/" + "A" * 43 + "/acknowledge")
    assert response.status_code == 404


async def test_closed_recall_link_has_expired(client, portal):
    await db.fetch("UPDATE recall SET status = 'closed' WHERE id = {}", portal["recall"]["id"])
    response = await client.get(portal["url"])
    assert response.status_code == 410
    assert "expired" in response.text
    response = await client.post(f"{portal['url']}/acknowledge")
    assert response.status_code == 410
    assert (await notice_row(portal["notice_id"]))["acknowledged_at"] is None


async def test_proposed_recall_has_no_page(client, portal):
    await db.fetch("UPDATE recall SET status = 'proposed' WHERE id = {}", portal["recall"]["id"])
    assert (await client.get(portal["url"])).status_code == 404

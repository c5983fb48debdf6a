"""The audit trail pages: one record's history, filters, the chain check, downloads, roles."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from recall import audit, clock, db
from recall.actors import Actor, Role
from tests.factories import (
    make_consignee,
    make_user,
)
from tests.pages.helpers import EN, sign_in
from tests.tampering import tamper

QA = Actor(id=None, username="siti", full_name="Siti Rahma", roles=frozenset({Role.QA}))
CS = Actor(id=None, username="budi", full_name="Budi Santoso", roles=frozenset({Role.CS}))


async def write(actor: Actor, *changes: audit.Change) -> None:
    async with db.transaction():
        await audit.record(actor, *changes)


@pytest.fixture
async def trail():
    """Complaint 12 logged by customer service and triaged by QA; other records between."""
    await write(
        CS,
        audit.Change(
            "complaint",
            12,
            "created",
            new={"reference": "CMP-2026-0012", "adverse_event": True, "batch_no": "B77"},
        ),
    )
    await write(CS, audit.Change("complaint", 13, "created", new={"reference": "CMP-2026-0013"}))
    await write(
        QA,
        audit.Change(
            "complaint",
            12,
            "triaged",
            old={"status": "received", "category": None},
            new={"status": "triaged", "category": "contamination",
                 "triaged_at": "2026-03-01T03:04:05+00:00"},
            reason="Particles seen in two vials",
        ),
    )  # fmt: skip
    await write(QA, audit.Change("recall", 4, "proposed", new={"reference": "RCL-2026-0004"}))


def cells(html: str) -> list[str]:
    """The table's rows as text, leaving out the signed-in reader's own account being made."""
    rows = [re.sub(r"<[^>]+>|\s+", " ", row) for row in re.findall(r"<tr id=.*?</tr>", html, re.S)]
    return [row.strip() for row in rows if "Recall system (system)" not in row]


async def test_a_record_shows_its_entries_oldest_first(client, trail):
    user = await make_user("inspector")
    await sign_in(client, user.username)
    response = await client.get("/audit?entity=complaint&entity_id=12", headers=EN)
    assert response.status_code == 200
    html = response.text
    assert "<title>Audit trail of complaint 12 · Recall</title>" in html
    rows = cells(html)
    assert len(rows) == 2
    assert "Budi Santoso (budi)" in rows[0] and "Created" in rows[0]
    assert "Siti Rahma (siti)" in rows[1] and "Triaged" in rows[1]
    assert "CMP-2026-0013" not in html and "RCL-2026-0004" not in html
    # Changes read as fields, old and new values, not as JSON.
    assert "<dt>adverse event</dt>" in html and "<ins>Yes</ins>" in html
    assert "<del>received</del>" in html and "<ins>triaged</ins>" in html
    assert "<del>—</del>" in html and "<ins>contamination</ins>" in html
    assert "01-03-2026 10:04 (Asia/Jakarta)" in html  # a stored moment on the plant's clock
    assert "Particles seen in two vials" in html
    assert "<details>" in html and "&#34;triaged&#34;" in html  # the full data, folded away
    assert "(Asia/Jakarta)" in html and " UTC" in html  # when, on both clocks
    assert "Chain intact" in html and "5 entries checked" in html  # with the user's own


async def test_without_filters_the_newest_entries_come_first(client, trail):
    user = await make_user("qa")
    await sign_in(client, user.username)
    html = (await client.get("/audit", headers=EN)).text
    rows = cells(html)
    assert len(rows) == 4
    assert "Recall 4" in rows[0] and "Complaint 12" in rows[3]
    assert 'href="/audit?entity=complaint&amp;entity_id=12"' in html


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"entity": "complaint"}, 3),
        ({"actor": "SITI"}, 2),
        ({"actor": "budi"}, 2),
        ({"action": "created"}, 2),
        ({"action": "created", "actor": "siti"}, 0),
        ({"entity": "recall", "entity_id": "4"}, 1),
        ({"since": "today", "until": "today"}, 4),
        ({"since": "tomorrow"}, 0),
        ({"until": "yesterday"}, 0),
    ],
)
async def test_filters(client, trail, query, shown):
    today = clock.today()  # the page reads dates on the plant's clock, not in UTC
    days = {
        "today": today,
        "tomorrow": today + timedelta(days=2),
        "yesterday": today - timedelta(days=2),
    }
    params = {key: str(days.get(value, value)) for key, value in query.items()}
    user = await make_user("qa_manager")
    await sign_in(client, user.username)
    response = await client.get("/audit", params=params, headers=EN)
    assert response.status_code == 200
    assert len(cells(response.text)) == shown
    if not shown:
        assert "No audit entries match." in response.text


async def test_a_bad_date_is_marked(client, trail):
    user = await make_user("qa")
    await sign_in(client, user.username)
    response = await client.get("/audit", params={"since": "31-02-2026"}, headers=EN)
    assert response.status_code == 422
    assert re.search(r'name="since"[^>]*aria-invalid="true"', response.text)
    assert 'value="31-02-2026"' in response.text


async def test_pages_of_fifty(client):
    for number in range(55):
        await write(QA, audit.Change("product", number, "created", new={"n": number}))
    user = await make_user("admin")
    await sign_in(client, user.username)
    first = await client.get("/audit", headers=EN)
    assert first.text.count('<tr id="entry-') == 50
    assert "Page 1 of 2" in first.text and 'href="/audit?page=2"' in first.text
    second = await client.get("/audit?page=2", headers=EN)
    assert second.text.count('<tr id="entry-') == 6  # 55 products and the reader's account


async def test_a_broken_chain_names_the_first_bad_entry(client, trail):
    (row,) = await db.fetch(
        "SELECT seq FROM audit_entry WHERE entity = 'complaint' AND action = 'triaged'"
    )
    await tamper("UPDATE audit_entry SET reason = 'nothing seen' WHERE seq = {}", row["seq"])
    user = await make_user("inspector")
    await sign_in(client, user.username)
    html = (await client.get("/audit?entity=complaint&entity_id=12", headers=EN)).text
    assert "Chain broken" in html
    assert f"First bad entry: #{row['seq']}, the entry was altered" in html
    assert f'<tr id="entry-{row["seq"]}" class="overdue">' in html
    assert "Fails the chain check" in html


async def test_download_csv_and_xlsx_of_the_selection(client, trail):
    user = await make_user("inspector")
    await sign_in(client, user.username)
    query = {"entity": "complaint", "entity_id": "12"}
    response = await client.get("/audit/export", params={**query, "format": "csv"}, headers=EN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="audit-complaint-12.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:8] == [
        "Entry", "Time (plant's clock)", "Time (UTC)", "Actor", "Record type", "Record",
        "Action", "Changes",
    ]  # fmt: skip
    assert [row[6] for row in rows[1:]] == ["created", "triaged"]
    assert rows[2][3] == "Siti Rahma (siti)"
    assert "status: received → triaged" in rows[2][7]
    assert rows[2][8] == "Particles seen in two vials"
    assert rows[1][1].endswith("+07:00")

    response = await client.get("/audit/export", params={"format": "xlsx"}, headers=EN)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Entry"
    assert len(values) == 6  # the whole trail with the reader's account, newest first
    assert values[1][4] == "user" and values[2][4] == "recall" and values[5][4] == "complaint"


async def test_download_headers_follow_the_language(client, trail):
    user = await make_user("qa")
    await sign_in(client, user.username)
    response = await client.get("/audit/export", params={"format": "csv"})
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Entri,")


async def test_the_page_in_indonesian(client, trail):
    user = await make_user("qa")
    await sign_in(client, user.username)
    html = (await client.get("/audit?entity=complaint&entity_id=12")).text
    assert "Jejak audit keluhan 12" in html
    assert "Rantai utuh" in html
    assert "Dibuat" in html


@pytest.mark.parametrize("role", ["cs", "distributor"])
async def test_other_roles_are_refused(client, trail, role):
    consignee = await make_consignee() if role == "distributor" else None
    user = await make_user(role, consignee_code=consignee.code if consignee else None)
    await sign_in(client, user.username)
    for path in ("/audit?entity=complaint&entity_id=12", "/audit/export?format=csv"):
        response = await client.get(path, headers=EN)
        assert response.status_code == 403, path
        assert "Not allowed" in response.text
        assert "CMP-2026-0012" not in response.text


async def test_signed_out_readers_are_sent_to_sign_in(client):
    response = await client.get("/audit?entity=complaint&entity_id=12")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")

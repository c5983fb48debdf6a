"""Recall pages: the list, the dashboard and its downloads, and the QA manager's e-signatures."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from recall import clock, db
from tests.factories import (
    PASSWORD,
    approved_recall,
    destroy,
    headers_for,
    headers_of,
    make_consignee,
    make_user,
    propose,
    recent_batch,
    report,
    report_everything,
    ship,
)
from tests.pages.helpers import EN, csrf_token, proposed, sign_in, signed_in_as
from tests.reads import my_notices, recall_read


def meter(html: str, key: str, name: str) -> tuple[int, int]:
    """(value, max) of the progress bar `m-<key>-<name>`."""
    found = re.search(rf'<progress id="m-{key}-{name}" max="(\d+)" value="(\d+)"', html)
    assert found, f"no progress bar m-{key}-{name}"
    return int(found[2]), int(found[1])


def table_rows(html: str) -> list[str]:
    """The consignee table's body rows."""
    table = html.split('<table class="consignees"', 1)[1]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr[^>]*>.*?</tr>", body, re.S)


async def sign(client, path: str, **fields) -> object:
    form = await client.get(path, headers=EN)
    assert form.status_code == 200, form.text
    return await client.post(
        path, data={**fields, "_csrf_token": csrf_token(form.text)}, headers=EN
    )


# The list -----------------------------------------------------------------------------------


async def test_list_newest_first_filtered_by_status(client):
    first = await propose(client, batch_ids=[(await recent_batch()).id])
    batch = await recent_batch()
    await ship(batch, await make_consignee(), 50)
    second = await approved_recall(client, batch, drill=True)

    await signed_in_as(client, "qa")
    html = (await client.get("/recalls", headers=EN)).text
    assert html.index(second["reference"]) < html.index(first["reference"])
    assert 'href="/recalls/new"' in html  # QA proposes
    assert "Drill" in html and batch.batch_no in html
    assert "In progress" in html and "Proposed, waiting for approval" in html

    only = (await client.get("/recalls", params={"status": "proposed"}, headers=EN)).text
    assert first["reference"] in only and second["reference"] not in only

    await signed_in_as(client, "inspector")
    html = (await client.get("/recalls", headers=EN)).text
    assert first["reference"] in html and 'href="/recalls/new"' not in html


async def test_customer_service_cannot_see_recalls(client):
    await signed_in_as(client, "cs")
    response = await client.get("/recalls", headers=EN)
    assert response.status_code == 403
    assert "Not allowed" in response.text


async def test_without_a_session_the_list_asks_to_sign_in(client):
    response = await client.get("/recalls")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


# The dashboard ------------------------------------------------------------------------------


async def test_dashboard_figures_match_the_api_per_tier_and_total(client, two_tiers):
    world = two_tiers
    await report_everything(client, world)
    acknowledged = await client.post(
        f"/api/notices/{world['notices']['RS-D']}/acknowledge", headers=world["headers"]["RS-D"]
    )
    assert acknowledged.status_code == 200, acknowledged.text
    recall_id = world["recall"]["id"]
    api = await recall_read(client, recall_id, "inspector")

    await signed_in_as(client, "inspector")
    response = await client.get(f"/recalls/{recall_id}", headers=EN)
    assert response.status_code == 200, response.text
    html = response.text
    assert f"<title>{api['reference']} · Recall</title>" in html
    total = api["consignees_total"]
    for name in ("notified", "acknowledged", "responded"):
        assert meter(html, "all", name) == (api[name], total)
    assert meter(html, "all", "returned") == (
        api["quantity_returned"],
        api["quantity_distributed"],
    )
    # Tier 1: PBF-A and PBF-B responded; tier 2: APT-C responded, RS-D acknowledged only.
    assert meter(html, "tier1", "responded") == (2, 2)
    assert meter(html, "tier2", "responded") == (1, 2)
    assert meter(html, "tier2", "acknowledged") == (2, 2)
    assert meter(html, "tier2", "returned") == (30, 350)
    # In progress: the page refreshes itself and says so.
    assert '<meta http-equiv="refresh" content="30">' in html
    assert "refreshes every 30 s" in html
    # Reconciliation totals (hand-computed in tests/api/test_reconciliation.py).
    assert "8,000" in html and "1,800" in html and "1,150" in html and ">330<" in html
    # Statuses as words, quantities per consignee.
    rows = {re.search(r'class="code">([^<]+)<', row)[1]: row for row in table_rows(html)}
    assert "Responded" in rows["PBF-A"] and "Acknowledged" in rows["RS-D"]
    assert re.search(r">1,300<.*>850<.*>170<", rows["PBF-A"], re.S)  # received, on hand, returned
    assert f'href="/recalls/{recall_id}/report.pdf"' in html
    # Inspectors read only.
    assert f'href="/recalls/{recall_id}/approve"' not in html and "Close recall" not in html


async def test_dashboard_in_indonesian_and_english(client, two_tiers):
    recall_id = two_tiers["recall"]["id"]
    await signed_in_as(client, "qa_manager")
    indonesian = (await client.get(f"/recalls/{recall_id}")).text
    assert '<html lang="id">' in indonesian
    assert "Tenggat" in indonesian and "Rekonsiliasi" in indonesian
    assert "Tutup penarikan" in indonesian
    english = (await client.get(f"/recalls/{recall_id}", headers=EN)).text
    assert "Deadlines" in english and "Reconciliation" in english
    assert "Close recall" in english


async def test_consignee_table_is_paged_filtered_and_searched(client):
    batch = await recent_batch()
    for number in range(105):
        consignee = await make_consignee(f"PBF-{number:03d}", name=f"Apotek Nomor {number:03d}")
        await ship(batch, consignee, 10)
    recall = await approved_recall(client, batch)
    headers = await headers_for("distributor", consignee_code="PBF-042")
    notice_id = (await my_notices(client, headers))["items"][0]["id"]
    await client.post(f"/api/notices/{notice_id}/acknowledge", headers=headers)

    await signed_in_as(client, "qa")
    path = f"/recalls/{recall['id']}"
    first = (await client.get(path, headers=EN)).text
    assert len(table_rows(first)) == 100
    assert "100 of 105 consignees" in first and "Page 1 of 2" in first
    assert "PBF-000" in first and "PBF-104" not in first
    second = (await client.get(path, params={"page": "2"}, headers=EN)).text
    assert len(table_rows(second)) == 5 and "PBF-104" in second

    acknowledged = (await client.get(path, params={"status": "acknowledged"}, headers=EN)).text
    (row,) = table_rows(acknowledged)
    assert "PBF-042" in row and "Acknowledged" in row

    found = (await client.get(path, params={"q": "nomor 07"}, headers=EN)).text
    assert len(table_rows(found)) == 10  # 070 to 079
    assert len(table_rows((await client.get(path, params={"q": "pbf-1"}, headers=EN)).text)) == 5
    none = (await client.get(path, params={"q": "100%"}, headers=EN)).text
    assert "No consignee matches." in none
    tier2 = (await client.get(path, params={"tier": "2"}, headers=EN)).text
    assert "No consignee matches." in tier2
    nonsense = await client.get(path, params={"tier": "x", "status": "nope"}, headers=EN)
    assert nonsense.status_code == 200 and len(table_rows(nonsense.text)) == 100


@pytest.fixture
def clock_at():
    """Move the clock: `clock_at(moment)`; put back after the test."""
    yield lambda moment: clock.set_clock(lambda: moment)
    clock.set_clock(None)


async def test_overdue_consignees_and_deadlines_are_marked(client, two_tiers, clock_at):
    world = two_tiers
    await report(client, world, "PBF-A", stock={"b1": 600, "b2": 250})
    recall_id = world["recall"]["id"]
    clock_at(datetime.now(UTC) + timedelta(days=200))

    await signed_in_as(client, "qa")
    html = (await client.get(f"/recalls/{recall_id}", headers=EN)).text
    rows = {re.search(r'class="code">([^<]+)<', row)[1]: row for row in table_rows(html)}
    assert rows["PBF-B"].startswith('<tr class="overdue">')
    assert "Overdue since" in rows["PBF-B"]
    assert not rows["PBF-A"].startswith('<tr class="overdue">')  # it responded
    assert "3 overdue" in html
    assert re.search(r"Late by \d+ days", html)

    only = (await client.get(f"/recalls/{recall_id}", params={"overdue": "true"}, headers=EN)).text
    assert sorted(re.findall(r'class="code">([^<]+)<', "".join(table_rows(only)))) == [
        "APT-C",
        "PBF-B",
        "RS-D",
    ]


async def test_deadlines_show_time_left(client, two_tiers, clock_at):
    api = await recall_read(client, two_tiers["recall"]["id"], "inspector")
    due = datetime.fromisoformat(api["deadlines"][0]["due_at"].replace("Z", "+00:00"))
    clock_at(due - timedelta(hours=5, minutes=10))
    await signed_in_as(client, "qa")
    html = (await client.get(f"/recalls/{api['id']}", headers=EN)).text
    assert "5 h left" in html


async def test_consignee_and_reconciliation_downloads(client, two_tiers):
    world = two_tiers
    await report_everything(client, world)
    recall_id = world["recall"]["id"]
    await signed_in_as(client, "inspector")

    response = await client.get(
        f"/recalls/{recall_id}/consignees/export", params={"format": "csv"}, headers=EN
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    reference = world["recall"]["reference"]
    assert f"{reference}-consignees.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["Code"] for row in rows] == ["PBF-A", "PBF-B", "APT-C", "RS-D"]
    pbf_a = rows[0]
    assert (pbf_a["Status"], pbf_a["Received"], pbf_a["On hand"], pbf_a["Returned"]) == (
        "Responded",
        "1300",
        "850",
        "170",
    )
    assert rows[3]["On hand"] == "" and rows[3]["Unaccounted"] == "100"

    response = await client.get(
        f"/recalls/{recall_id}/consignees/export", params={"format": "xlsx", "tier": "2"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0][0] == "Kode"  # the reader's language: Indonesian by default
    assert [row[0] for row in cells[1:]] == ["APT-C", "RS-D"]

    response = await client.get(
        f"/recalls/{recall_id}/reconciliation/export", params={"format": "xlsx"}, headers=EN
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0][:2] == ("Level", "Batch")
    plant_total = next(row for row in cells if row[0] == "Left the plant" and row[1] == "Total")
    assert plant_total[4:] == (8000, 1800, 1150, 270, 50, 330)
    tier_two = next(row for row in cells if row[0] == "Tier 2" and row[1] == "Total")
    assert tier_two[5:] == (350, 120, 30, 0, 200)

    response = await client.get(
        f"/recalls/{recall_id}/reconciliation/export", params={"format": "csv"}, headers=EN
    )
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][0] == "Level" and len(lines) == 1 + 3 * 3  # plant, tier 1, tier 2


async def test_report_pdf_through_the_session(client, two_tiers):
    recall_id = two_tiers["recall"]["id"]
    assert (await client.get(f"/recalls/{recall_id}/report.pdf")).status_code == 303
    await signed_in_as(client, "inspector")
    response = await client.get(f"/recalls/{recall_id}/report.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "interim-report.pdf" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF")
    assert (await client.get("/recalls/999999/report.pdf")).status_code == 404


async def test_delivery_failures_and_open_alerts_are_listed(client):
    batch = await recent_batch()
    # Neither webhook nor e-mail: the notice fails at once and QA is told to phone.
    await ship(batch, await make_consignee("PBF-MUTE", email=""), 20)
    await ship(batch, await make_consignee("PBF-OK"), 20)
    recall = await approved_recall(client, batch)
    await signed_in_as(client, "qa")
    html = (await client.get(f"/recalls/{recall['id']}", headers=EN)).text
    failures = html.split('id="h-failures"', 1)[1].split("</section>", 1)[0]
    assert "PBF-MUTE" in failures and "No webhook or e-mail address" in failures
    assert "PBF-OK" not in failures
    open_alerts = html.split('id="h-alerts"', 1)[1].split("</section>", 1)[0]
    assert "No address: phone the consignee" in open_alerts and "PBF-MUTE" in open_alerts


async def test_unknown_recall_is_the_not_found_page(client):
    await signed_in_as(client, "qa")
    response = await client.get("/recalls/424242", headers=EN)
    assert response.status_code == 404
    assert "Not found" in response.text


# Approval -----------------------------------------------------------------------------------


async def notices_of(recall_id: int) -> int:
    rows = await db.fetch("SELECT COUNT(*) AS n FROM notice WHERE recall = {}", recall_id)
    return int(rows[0]["n"])


async def test_manager_sees_what_is_signed_then_approves(client):
    recall = await proposed(client)
    manager = await signed_in_as(client, "qa_manager")
    dashboard = (await client.get(f"/recalls/{recall['id']}", headers=EN)).text
    assert f'href="/recalls/{recall["id"]}/approve"' in dashboard
    assert "refresh" not in dashboard  # nothing in progress yet

    form = await client.get(f"/recalls/{recall['id']}/approve", headers=EN)
    assert form.status_code == 200
    signed = form.text.split("What you are signing", 1)[1].split("</section>", 1)[0]
    assert recall["reference"] in signed
    assert "Class I" in signed and "Retail" in signed
    assert recall["batches"][0]["batch_no"] in signed
    assert "Diethylene glycol above limit" in signed
    assert re.search(r"Consignees to notify</dt>\s*<dd><strong>2</strong>", signed)
    assert '<label for="f-password">Password' in form.text
    assert '<label for="f-meaning">Meaning' in form.text
    assert ">Sign</button>" in form.text

    response = await client.post(
        f"/recalls/{recall['id']}/approve",
        data={
            "password": PASSWORD,
            "meaning": "Approved as responsible pharmacist",
            "_csrf_token": csrf_token(form.text),
        },
        headers=EN,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/recalls/{recall['id']}"
    assert (await recall_read(client, recall["id"], "inspector"))["status"] == "in_progress"
    assert await notices_of(recall["id"]) == 2

    html = (await client.get(f"/recalls/{recall['id']}", headers=EN)).text
    signatures = html.split('id="h-signatures"', 1)[1].split("</section>", 1)[0]
    assert "Approval" in signatures and manager.full_name in signatures
    assert "Approved as responsible pharmacist" in signatures
    assert "In progress" in html and 'href="/recalls/{}/approve"'.format(recall["id"]) not in html


async def test_the_proposer_cannot_approve(client):
    proposer = await make_user("qa", "qa_manager")
    recall = await proposed(client, await headers_of(proposer))
    client.cookies.clear()
    await sign_in(client, proposer.username)

    dashboard = (await client.get(f"/recalls/{recall['id']}", headers=EN)).text
    assert "Another QA manager must approve it" in dashboard
    assert f'href="/recalls/{recall["id"]}/approve"' not in dashboard
    form = await client.get(f"/recalls/{recall['id']}/approve", headers=EN)
    assert form.status_code == 403 and "four eyes" in form.text

    page = await client.get(f"/recalls/{recall['id']}", headers=EN)
    response = await client.post(
        f"/recalls/{recall['id']}/approve",
        data={"password": PASSWORD, "meaning": "Approved", "_csrf_token": csrf_token(page.text)},
        headers=EN,
    )
    assert response.status_code == 403 and "four eyes" in response.text
    assert (await recall_read(client, recall["id"], "inspector"))["status"] == "proposed"


async def test_a_wrong_password_changes_nothing(client):
    recall = await proposed(client)
    await signed_in_as(client, "qa_manager")
    response = await sign(
        client, f"/recalls/{recall['id']}/approve", password="guess", meaning="Approved"
    )
    assert response.status_code == 401
    assert "The password is wrong" in response.text
    assert 'value="Approved"' in response.text  # the meaning is kept
    assert 'value="guess"' not in response.text  # the password never is
    assert ">Sign</button>" in response.text
    api = await recall_read(client, recall["id"], "inspector")
    assert api["status"] == "proposed" and api["signatures"] == []
    assert await notices_of(recall["id"]) == 0


async def test_a_missing_meaning_is_422_and_nothing_changes(client):
    recall = await proposed(client)
    await signed_in_as(client, "qa_manager")
    response = await sign(client, f"/recalls/{recall['id']}/approve", password=PASSWORD)
    assert response.status_code == 422
    assert 'id="f-meaning"' in response.text and 'aria-invalid="true"' in response.text
    assert (await recall_read(client, recall["id"], "inspector"))["status"] == "proposed"


async def test_approving_twice_is_409(client):
    recall = await proposed(client)
    await signed_in_as(client, "qa_manager")
    form = await client.get(f"/recalls/{recall['id']}/approve", headers=EN)
    data = {"password": PASSWORD, "meaning": "Approved", "_csrf_token": csrf_token(form.text)}
    first = await client.post(f"/recalls/{recall['id']}/approve", data=data, headers=EN)
    assert first.status_code == 303
    again = await client.post(f"/recalls/{recall['id']}/approve", data=data, headers=EN)
    assert again.status_code == 409
    assert "not waiting for approval" in again.text
    assert (await client.get(f"/recalls/{recall['id']}/approve")).status_code == 409
    assert len((await recall_read(client, recall["id"], "inspector"))["signatures"]) == 1


@pytest.mark.parametrize("role", ["cs", "qa", "inspector", "distributor"])
async def test_only_qa_managers_open_the_signature_forms(client, role):
    recall = await proposed(client)
    client.cookies.clear()
    consignee = await make_consignee() if role == "distributor" else None
    user = await make_user(role, consignee_code=consignee.code if consignee else None)
    await sign_in(client, user.username)
    for action in ("approve", "close"):
        response = await client.get(f"/recalls/{recall['id']}/{action}", headers=EN)
        assert response.status_code == 403, action
        assert "Not allowed" in response.text


# Closure ------------------------------------------------------------------------------------


async def test_closing_with_unaccounted_units_needs_a_justification(client, two_tiers):
    recall_id = two_tiers["recall"]["id"]
    await signed_in_as(client, "qa_manager")
    form = await client.get(f"/recalls/{recall_id}/close", headers=EN)
    assert form.status_code == 200
    signed = form.text.split("What you are signing", 1)[1].split("</section>", 1)[0]
    assert "1,800" in signed and 'class="state bad">1,800' in signed  # nothing reported yet
    assert "Required: 1,800 units are unaccounted for" in form.text

    data = {"password": PASSWORD, "meaning": "Recall completed"}
    token = csrf_token(form.text)
    refused = await client.post(
        f"/recalls/{recall_id}/close", data={**data, "_csrf_token": token}, headers=EN
    )
    assert refused.status_code == 409
    assert "Units are unaccounted for" in refused.text
    assert (await recall_read(client, recall_id, "inspector"))["status"] == "in_progress"

    wrong = await client.post(
        f"/recalls/{recall_id}/close",
        data={**data, "password": "nope", "justification": "x", "_csrf_token": token},
        headers=EN,
    )
    assert wrong.status_code == 401 and "The password is wrong" in wrong.text
    assert (await recall_read(client, recall_id, "inspector"))["status"] == "in_progress"

    closed = await client.post(
        f"/recalls/{recall_id}/close",
        data={
            **data,
            "justification": "Consignees confirmed destruction by phone; records filed.",
            "_csrf_token": token,
        },
        headers=EN,
    )
    assert closed.status_code == 303
    api = await recall_read(client, recall_id, "inspector")
    assert api["status"] == "closed"
    html = (await client.get(f"/recalls/{recall_id}", headers=EN)).text
    assert "Consignees confirmed destruction by phone" in html
    signatures = html.split('id="h-signatures"', 1)[1].split("</section>", 1)[0]
    assert "Closure" in signatures and "Recall completed" in signatures
    assert "refresh" not in html and "Close recall" not in html
    assert (await client.get(f"/recalls/{recall_id}/close", headers=EN)).status_code == 409


async def test_a_fully_accounted_recall_closes_without_justification(client):
    batch = await recent_batch()
    await ship(batch, await make_consignee("PBF-DONE"), 100)
    recall = await approved_recall(client, batch)
    headers = await headers_for("distributor", consignee_code="PBF-DONE")
    notice_id = (await my_notices(client, headers))["items"][0]["id"]
    world = {"b1": batch, "recall": recall, "notices": {"PBF-DONE": notice_id}}
    world["headers"] = {"PBF-DONE": headers}
    await report(client, world, "PBF-DONE", stock={"b1": 0}, returns={"b1": 60})
    assert (await destroy(client, world, 40, consignee_code="PBF-DONE")).status_code == 201

    await signed_in_as(client, "qa_manager")
    form = await client.get(f"/recalls/{recall['id']}/close", headers=EN)
    assert "None: every unit is accounted for" in form.text
    response = await sign(
        client, f"/recalls/{recall['id']}/close", password=PASSWORD, meaning="Recall completed"
    )
    assert response.status_code == 303
    assert (await recall_read(client, recall["id"], "inspector"))["status"] == "closed"


async def test_closing_a_proposal_is_409(client):
    recall = await proposed(client)
    await signed_in_as(client, "qa_manager")
    response = await client.get(f"/recalls/{recall['id']}/close", headers=EN)
    assert response.status_code == 409 and "cannot be closed" in response.text

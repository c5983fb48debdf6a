"""The authorities on the recall pages: deadlines per market, submissions, public warnings, the
signed deadline override, and the proposal's order date, public warning and markets."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from recall import clock, db
from recall.settings import get_settings
from tests.factories import (
    PASSWORD,
    approved_recall,
    make_consignee,
    propose,
    recent_batch,
    ship,
)
from tests.pages.helpers import EN, csrf_token, post_form, signed_in_as
from tests.reads import recall_read

ORDER = "BPOM T-PW.01.12.3.345.10.26.001"


@pytest.fixture
def clock_at():
    """Move the clock: `clock_at(moment)`; put back after the test."""
    yield lambda moment: clock.set_clock(lambda: moment)
    clock.set_clock(None)


def local(moment: datetime) -> str:
    """`moment` as a datetime-local input holds it, on the plant's clock."""
    return moment.astimezone(ZoneInfo(get_settings().time_zone)).strftime("%Y-%m-%dT%H:%M")


async def two_markets(client, **changes) -> dict:
    """A batch shipped to a PBF in Surabaya and an importer in the United States, recalled
    under BPOM and FDA and approved."""
    batch = await recent_batch()
    await ship(batch, await make_consignee("ID-PBF", province="Jawa Timur"), 1000)
    await ship(batch, await make_consignee("US-IMP", province=None, country="US"), 300)
    return await approved_recall(client, batch, profiles=["bpom", "fda"], **changes)


async def submissions_stored(recall_id: int) -> int:
    (row,) = await db.fetch(
        "SELECT COUNT(*) AS n FROM authority_submission WHERE recall = {}", recall_id
    )
    return int(row["n"])


def deadline_row(html: str, profile: str, key: str) -> str:
    """The row of deadline `key` in the table of market `profile`."""
    found = re.search(rf'<tr id="deadline-{profile}-{key}".*?</tr>', html, re.S)
    assert found, f"no deadline {key} of {profile}"
    return found[0]


# The dashboard --------------------------------------------------------------------------------


async def test_deadlines_are_split_by_market_with_the_next_one_marked(client):
    recall = await two_markets(client)
    await signed_in_as(client, "qa_manager")
    html = (await client.get(f"/recalls/{recall['id']}", headers=EN)).text
    assert "Badan Pengawas Obat dan Makanan" in html and "U.S. Food and Drug Administration" in html
    assert "Covers: Indonesia" in html and "United States" in html
    assert html.count('class="tag next">Due next<') == 2  # one per market
    row = deadline_row(html, "bpom", "initial_report")
    assert "Initial report to the authority" in row and "From approval" in row
    assert f"/recalls/{recall['id']}/deadlines/initial_report/override?profile=bpom" in row
    # The distribution per market, with units named.
    assert "Distribution by market" in html and "Units received" in html
    assert "Jawa Timur" in html and ">1,000<" in html and ">300<" in html


async def test_an_authority_is_named_in_the_readers_words(client):
    batch = await recent_batch()
    await ship(batch, await make_consignee("ID-PBF", province="Jawa Timur"), 1000)
    await ship(batch, await make_consignee("DE-IMP", province=None, country="DE"), 300)
    recall = await approved_recall(client, batch, profiles=["bpom", "eu"])
    await signed_in_as(client, "qa_manager")
    html = (await client.get(f"/recalls/{recall['id']}")).text
    assert "Otoritas kompeten Uni Eropa" in html and "EU competent authority" not in html
    assert "Badan Pengawas Obat dan Makanan" in html
    english = (await client.get(f"/recalls/{recall['id']}", headers=EN)).text
    assert "EU competent authority" in english


async def test_a_late_deadline_says_by_how_many_days_in_both_languages(client, clock_at):
    recall = await two_markets(client)
    clock_at(datetime.now(UTC) + timedelta(days=10))
    await signed_in_as(client, "qa")
    english = (await client.get(f"/recalls/{recall['id']}", headers=EN)).text
    row = deadline_row(english, "bpom", "initial_report")
    assert re.search(r'<tr id="[^"]+" class="late[^"]*">', row)
    assert re.search(r'class="state bad late">Late by \d+ days<', row)
    indonesian = (await client.get(f"/recalls/{recall['id']}")).text
    assert re.search(r'class="state bad late">Terlambat \d+ hari<', indonesian)
    assert "Pengiriman ke otoritas" in indonesian and "Peringatan publik" in indonesian
    assert "Distribusi per pasar" in indonesian and "Sejak persetujuan" in indonesian
    # Only a QA manager is offered the override.
    assert "/override?profile=" not in english


async def test_qa_records_a_submission_and_it_is_listed(client, clock_at):
    recall = await two_markets(client)
    path = f"/recalls/{recall['id']}"
    clock_at(datetime.now(UTC) + timedelta(days=1))
    await signed_in_as(client, "qa")
    dashboard = (await client.get(path, headers=EN)).text
    assert 'http-equiv="refresh"' in dashboard and 'id="record-submission"' not in dashboard

    form = (await client.get(path, params={"record": "submission"}, headers=EN)).text
    assert 'http-equiv="refresh"' not in form  # a reload would lose what is typed
    # Addressed as the BPOM report is: its head and the office of the province reached.
    assert "Kepala Badan Pengawas Obat dan Makanan\nBalai Besar POM di Surabaya" in form
    fda = (await client.get(path, params={"record": "submission", "submit_to": "fda"})).text
    assert "U.S. Food and Drug Administration</textarea>" in fda

    sent = {
        "kind": "initial_report",
        "authority": "bpom",
        "submitted_at": local(datetime.now(UTC) + timedelta(hours=20)),
        "channel": "email",
        "reference": "PW.01.12.345",
        "addressees": "Kepala Badan POM\r\nBalai Besar POM di Surabaya\r\n",
    }
    response = await post_form(
        client, f"{path}/submissions", sent, page=f"{path}?record=submission"
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{path}#h-submissions"

    html = (await client.get(path, headers=EN)).text
    table = html.split('<table class="submissions"', 1)[1].split("</table>", 1)[0]
    assert "Initial report" in table and "BPOM" in table and "PW.01.12.345" in table
    assert "Balai Besar POM di Surabaya" in table and "E-mail" in table and "On time" in table
    assert ">Met<" in deadline_row(html, "bpom", "initial_report")
    api = await recall_read(client, recall["id"])
    met = [d for d in api["deadlines"] if d["key"] == "initial_report" and d["profile"] == "bpom"]
    assert met[0]["met_at"] is not None


async def test_a_refused_submission_marks_its_field_and_stores_nothing(client, clock_at):
    recall = await two_markets(client)
    path = f"/recalls/{recall['id']}"
    await signed_in_as(client, "qa")
    sent = {"kind": "initial_report", "authority": "bpom", "submitted_at": "", "channel": "email"}
    response = await post_form(client, f"{path}/submissions", sent, page=path)
    assert response.status_code == 422
    assert 'id="f-submitted_at-error"' in response.text
    assert 'id="record-submission"' in response.text  # the form is shown again, filled in
    future = {**sent, "submitted_at": local(datetime.now(UTC) + timedelta(days=3))}
    response = await post_form(client, f"{path}/submissions", future, page=path, headers={})
    assert response.status_code == 422
    assert "tidak boleh di masa depan" in response.text  # the refusal in Indonesian
    assert re.search(r'href="#f-submitted_at">Dikirim pada \([^)]+\)</a>', response.text)
    assert await submissions_stored(recall["id"]) == 0


async def test_a_public_warning_is_recorded_and_listed(client):
    recall = await two_markets(client, recall_class="I", depth="consumer", public_warning="general")
    path = f"/recalls/{recall['id']}"
    await signed_in_as(client, "qa_manager")
    html = (await client.get(path, headers=EN)).text
    assert "General news media" in html  # the strategy's decision

    bad = {"published_on": clock.today().isoformat(), "channel": "Kompas", "text": "Jangan",
           "url": "javascript:alert(1)"}  # fmt: skip
    response = await post_form(client, f"{path}/public-warnings", bad, page=path)
    assert response.status_code == 422 and 'id="f-url-error"' in response.text

    good = {**bad, "url": "https://www.kompas.com/recall", "text": "Jangan minum sirup ini."}
    response = await post_form(client, f"{path}/public-warnings", good, page=path)
    assert response.status_code == 303
    html = (await client.get(path, headers=EN)).text
    table = html.split('<table class="warnings"', 1)[1].split("</table>", 1)[0]
    assert "Kompas" in table and "Jangan minum sirup ini." in table
    assert 'href="https://www.kompas.com/recall"' in table


async def test_the_reports_to_each_authority_are_linked_and_served(client):
    recall = await two_markets(client)
    path = f"/recalls/{recall['id']}"
    await signed_in_as(client, "inspector")
    html = (await client.get(path, headers=EN)).text
    link = f"{path}/authority-report.pdf?kind=initial&amp;lang=id&amp;profile=bpom"
    assert link in html and "profile=fda" in html
    response = await client.get(link.replace("&amp;", "&"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# The override --------------------------------------------------------------------------------


async def test_override_needs_the_right_password_and_is_shown(client):
    recall = await two_markets(client)
    path = f"/recalls/{recall['id']}/deadlines/initial_report/override?profile=bpom"
    before = await recall_read(client, recall["id"])
    await signed_in_as(client, "qa_manager")
    form = (await client.get(path, headers=EN)).text
    assert "Initial report to the authority" in form and "Badan Pengawas Obat dan Makanan" in form
    new_due = datetime.now(UTC) + timedelta(days=10)
    sent = {
        "due_at": local(new_due),
        "reason": "Order letter sets 10 days",
        "password": "not my password",
        "meaning": "Deadline set as in the order",
    }
    response = await post_form(client, path, sent)
    assert response.status_code == 401
    assert "The password is wrong" in response.text
    assert "Order letter sets 10 days</textarea>" in response.text
    assert await recall_read(client, recall["id"]) == before

    response = await post_form(client, path, {**sent, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == f"/recalls/{recall['id']}"
    api = await recall_read(client, recall["id"])
    (changed,) = [
        d for d in api["deadlines"] if d["key"] == "initial_report" and d["profile"] == "bpom"
    ]
    assert changed["overridden"] is True
    assert local(datetime.fromisoformat(changed["due_at"].replace("Z", "+00:00"))) == local(new_due)
    html = (await client.get(f"/recalls/{recall['id']}", headers=EN)).text
    assert "Overridden: Order letter sets 10 days" in deadline_row(html, "bpom", "initial_report")
    assert "Deadline override" in html  # among the signatures


async def test_override_refuses_a_missing_reason_beside_its_field(client):
    recall = await two_markets(client)
    path = f"/recalls/{recall['id']}/deadlines/initial_report/override?profile=bpom"
    await signed_in_as(client, "qa_manager")
    sent = {"due_at": local(datetime.now(UTC) + timedelta(days=9)), "reason": "",
            "password": PASSWORD, "meaning": "Set"}  # fmt: skip
    response = await post_form(client, path, sent)
    assert response.status_code == 422 and 'id="f-reason-error"' in response.text


async def test_roles_are_kept_apart(client):
    recall = await two_markets(client)
    path = f"/recalls/{recall['id']}"
    override = f"{path}/deadlines/initial_report/override?profile=bpom"
    await signed_in_as(client, "inspector")
    token = csrf_token((await client.get(path, headers=EN)).text)
    sent = {"kind": "initial_report", "authority": "bpom", "channel": "email",
            "submitted_at": local(datetime.now(UTC)), "_csrf_token": token}  # fmt: skip
    assert (await client.post(f"{path}/submissions", data=sent)).status_code == 403
    assert (await client.post(f"{path}/public-warnings", data=sent)).status_code == 403
    assert (await client.get(override)).status_code == 403
    await signed_in_as(client, "qa")
    token = csrf_token((await client.get(path, headers=EN)).text)
    assert (await client.get(override)).status_code == 403
    signed = {"due_at": local(datetime.now(UTC)), "reason": "x", "password": PASSWORD,
              "meaning": "x", "_csrf_token": token}  # fmt: skip
    assert (await client.post(override, data=signed)).status_code == 403
    assert await submissions_stored(recall["id"]) == 0
    # Without the CSRF token nothing is recorded either.
    no_token = {key: value for key, value in sent.items() if key != "_csrf_token"}
    assert (await client.post(f"{path}/submissions", data=no_token)).status_code == 403
    assert await submissions_stored(recall["id"]) == 0


# The proposal and the approval ------------------------------------------------------------------


def proposal_form(batch_id: int, **changes) -> dict:
    return {
        "batch_ids[]": str(batch_id),
        "recall_class": "I",
        "recall_type": "mandatory",
        "depth": "retail",
        "profiles[]": "bpom",
        "authority_reference": ORDER,
        "reason": "Diethylene glycol above limit in the solvent lot.",
        "health_hazard_assessment": "Acute kidney injury possible; life-threatening.",
        "_action": "propose",
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "field", "indonesian"),
    [
        ({}, "ordered_on", "wajib diisi untuk penarikan wajib"),
        (
            {"ordered_on": "2026-01-05", "depth": "consumer"},
            "public_warning",
            "wajib diisi untuk penarikan kelas I sampai tingkat konsumen",
        ),
        ({"ordered_on": "2026-01-05", "profiles[]": []}, "profiles", "tidak boleh kosong"),
    ],
)
async def test_proposal_refuses_the_authority_fields_beside_them(
    client, qa, changes, field, indonesian
):
    batch = await recent_batch()
    response = await post_form(
        client, "/recalls/new", proposal_form(batch.id, **changes), headers={}
    )
    assert response.status_code == 422
    assert f'id="f-{field}-error"' in response.text
    assert indonesian in response.text
    (row,) = await db.fetch("SELECT COUNT(*) AS n FROM recall")
    assert int(row["n"]) == 0


async def test_the_proposal_form_offers_the_authority_fields_in_both_languages(client, qa):
    english = (await client.get("/recalls/new", headers=EN)).text
    assert 'type="date"' in english and 'name="ordered_on"' in english
    assert "Date of the order letter" in english and "General news media" in english
    assert 'name="profiles[]" value="bpom" checked' in english
    assert 'name="profiles[]" value="fda">' in english
    indonesian = (await client.get("/recalls/new")).text
    assert "Tanggal surat perintah" in indonesian and "Media massa umum" in indonesian
    assert "Pasar (profil regulasi)" in indonesian


async def test_a_mandatory_proposal_shows_its_order_on_approval_and_dashboard(client):
    batch = await recent_batch()
    await ship(batch, await make_consignee(), 100)
    await signed_in_as(client, "qa")
    changes = {"ordered_on": "2026-01-05", "profiles[]": ["bpom", "fda"],
               "public_warning": "specialised"}  # fmt: skip
    response = await post_form(client, "/recalls/new", proposal_form(batch.id, **changes))
    assert response.status_code == 303, response.text
    recall_id = int(response.headers["location"].rsplit("/", 1)[1])

    await signed_in_as(client, "qa_manager")
    signing = (await client.get(f"/recalls/{recall_id}/approve", headers=EN)).text
    signed = signing.split('id="h-signed"', 1)[1].split("</section>", 1)[0]
    assert "dated 05-01-2026" in signed and ORDER in signed
    assert "Specialised press and professional bodies" in signed
    assert "BPOM (Indonesia), FDA (United States)" in signed
    response = await post_form(
        client,
        f"/recalls/{recall_id}/approve",
        {"password": PASSWORD, "meaning": "Approved as ordered"},
    )
    assert response.status_code == 303
    html = (await client.get(f"/recalls/{recall_id}", headers=EN)).text
    assert "dated 05-01-2026" in html and "From the order letter" in html
    indonesian = (await client.get(f"/recalls/{recall_id}")).text
    assert "tertanggal 05-01-2026" in indonesian and "Sejak surat perintah" in indonesian


async def test_a_proposed_recall_shows_no_submission_form(client):
    recall = await propose(client, batch_ids=[(await recent_batch()).id])
    await signed_in_as(client, "qa")
    html = (await client.get(f"/recalls/{recall['id']}", headers=EN)).text
    assert "Deadlines start when a QA manager approves the recall." in html
    assert "Record a submission" not in html

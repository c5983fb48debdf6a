"""Complaint pages: the reports a complaint owes the authorities, their submission, the filter."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from recall import clock, db
from recall.settings import get_settings
from tests.factories import headers_for, make_complaint
from tests.pages.helpers import EN, post_form, signed_in_as

QUALITY_DEFECT = {"category": "quality_defect", "severity": "major", "investigate": True}


async def owing(client, triage=QUALITY_DEFECT) -> dict:
    """A complaint triaged over the API; a quality defect owes FDA a field alert report."""
    logged = await make_complaint(client)
    response = await client.post(
        f"/api/complaints/{logged['id']}/triage", json=triage, headers=await headers_for("qa")
    )
    assert response.status_code == 200, response.text
    return response.json()


def typed_now(minutes: int = 0) -> str:
    """Now on the plant's clock, as a datetime-local input holds it."""
    moment = clock.now() + timedelta(minutes=minutes)
    return moment.astimezone(ZoneInfo(get_settings().time_zone)).strftime("%Y-%m-%dT%H:%M")


def submission(**changes: str) -> dict[str, str]:
    form = {
        "obligation": "field_alert:fda",
        "submitted_at": typed_now(),
        "reference": "FAR-2026-0042",
        "channel": "portal",
    }
    return {**form, **changes}


async def submitted(complaint_id: int) -> list[dict]:
    rows = await db.fetch(
        "SELECT reference, channel, submitted_at FROM complaint_obligation "
        "WHERE complaint = {} AND submitted_at IS NOT NULL",
        complaint_id,
    )
    return [dict(row) for row in rows]


async def test_the_complaint_file_lists_its_reports_and_records_one(client, bpom_and_fda, move_to):
    complaint = await owing(client)
    await signed_in_as(client, "qa")
    page = f"/complaints/{complaint['id']}"
    html = (await client.get(page, headers=EN)).text
    assert "Reports to the authorities" in html
    assert "Field alert report" in html and "Form FDA 3331a" in html
    assert "Not submitted" in html and "Asia/Jakarta" in html
    assert 'action="/complaints/{}/obligations"'.format(complaint["id"]) in html
    assert '<option value="field_alert:fda"' in html

    response = await post_form(client, f"{page}/obligations", submission(), page=page)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{page}#obligations"
    [row] = await submitted(complaint["id"])
    assert row["reference"] == "FAR-2026-0042" and row["channel"] == "portal"
    html = (await client.get(page, headers=EN)).text
    assert "FAR-2026-0042" in html and "Authority&#39;s portal" in html
    assert "Record submission" not in html  # nothing left to submit
    assert "Report to the authority recorded" in html  # in the history


async def test_the_submission_form_in_indonesian(client, bpom_and_fda, move_to):
    complaint = await owing(client)
    await signed_in_as(client, "qa_manager")
    html = (await client.get(f"/complaints/{complaint['id']}")).text
    assert "Laporan ke otoritas" in html and "Laporan field alert" in html
    assert "Catat pengiriman" in html and "Belum dikirim" in html


@pytest.mark.parametrize(
    ("changes", "field", "shown"),
    [
        ({"reference": ""}, "reference", "Nomor referensi dari otoritas</a>: tidak boleh kosong"),
        ({"channel": ""}, "channel", "Dikirim melalui</a>: wajib diisi"),
        ({"channel": "fax"}, "channel", "Dikirim melalui</a>"),
        ({"submitted_at": "kemarin"}, "submitted_at", "Dikirim pada</a>: tanggal dan jam, mis."),
        ({"obligation": ""}, "obligation", "Laporan yang dikirim</a>: pilih laporan yang dikirim"),
        ({"obligation": "field_alert:eu"}, "obligation", "Laporan yang dikirim</a>"),
    ],
)
async def test_a_refused_submission_names_its_field_in_the_readers_words(
    client, bpom_and_fda, move_to, changes, field, shown
):
    complaint = await owing(client)
    await signed_in_as(client, "qa")
    page = f"/complaints/{complaint['id']}"
    form = submission(**changes)
    response = await post_form(client, f"{page}/obligations", form, page=page, headers={})
    assert response.status_code == 422, response.text
    assert f'href="#f-{field}"' in response.text and shown in response.text
    assert await submitted(complaint["id"]) == []


async def test_a_submission_in_the_future_is_refused(client, bpom_and_fda, move_to):
    complaint = await owing(client)
    await signed_in_as(client, "qa")
    page = f"/complaints/{complaint['id']}"
    later = submission(submitted_at=typed_now(minutes=90))
    response = await post_form(client, f"{page}/obligations", later, page=page)
    assert response.status_code == 422
    assert "must not be in the future" in response.text
    assert await submitted(complaint["id"]) == []


async def test_without_its_csrf_token_or_by_customer_service_it_is_refused(
    client, bpom_and_fda, move_to
):
    complaint = await owing(client)
    page = f"/complaints/{complaint['id']}"
    await signed_in_as(client, "qa")
    response = await client.post(f"{page}/obligations", data=submission())
    assert response.status_code == 403
    await signed_in_as(client, "cs")
    html = (await client.get(page, headers=EN)).text
    assert "Field alert report" in html and "Record submission" not in html
    response = await post_form(client, f"{page}/obligations", submission(), page=page)
    assert response.status_code == 403
    assert await submitted(complaint["id"]) == []


async def test_an_overdue_report_is_shown_late_in_red(client, bpom_and_fda, move_to):
    complaint = await owing(client)
    move_to(clock.now() + timedelta(days=9))
    await signed_in_as(client, "qa")
    html = (await client.get(f"/complaints/{complaint['id']}", headers=EN)).text
    assert '<span class="state bad overdue">late by ' in html


async def test_the_register_filters_and_marks_complaints_owing_reports(
    client, bpom_and_fda, move_to
):
    late = await owing(client)
    move_to(clock.now() + timedelta(days=9))
    fresh = await owing(client)
    unburdened = await owing(client, {**QUALITY_DEFECT, "category": "other"})
    await signed_in_as(client, "inspector")

    listed = (await client.get("/complaints", headers=EN)).text
    assert listed.count('class="state bad obligation"') == 1
    assert listed.count('class="state warn obligation"') == 1
    overdue = (await client.get("/complaints?obligation=overdue", headers=EN)).text
    assert late["reference"] in overdue
    assert fresh["reference"] not in overdue and unburdened["reference"] not in overdue
    assert '<option value="overdue" selected>' in overdue
    due = (await client.get("/complaints?obligation=due", headers=EN)).text
    assert late["reference"] in due and unburdened["reference"] not in due
    bad = await client.get("/complaints?obligation=whenever", headers=EN)
    assert bad.status_code == 422
    assert 'href="#f-obligation"' in bad.text

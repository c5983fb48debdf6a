"""QA triage, replies to the complainant and closure: the life cycle over HTTP."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from recall import clock, db
from recall.complaints import tables as complaint_tables
from recall.investigations import tables as investigation_tables
from recall.settings import get_settings
from tests.factories import (
    conclusion_body,
    headers_as,
    headers_for,
    make_batch,
    make_complaint,
)

TRIAGE = {"category": "quality_defect", "severity": "major", "investigate": True}
NO_INVESTIGATION = {
    "category": "packaging",
    "severity": "minor",
    "investigate": False,
    "reason": "Cosmetic label smudge; batch record and retained samples show no defect.",
}


async def log(client, headers=None, **changes):
    """A patient's complaint without contact details."""
    reporter = {"name": "Ani Wijaya", "kind": "patient"}
    return await make_complaint(
        client, headers, reporter=reporter, description="The syrup is cloudy.", **changes
    )


async def triage(client, complaint_id, headers, **body):
    return await client.post(
        f"/api/complaints/{complaint_id}/triage", json=body or TRIAGE, headers=headers
    )


async def triaged(client, qa, body=None):
    complaint = await log(client)
    response = await triage(client, complaint["id"], qa, **(body or TRIAGE))
    assert response.status_code == 200, response.text
    return response.json()


async def close(client, complaint_id, headers, resolution="Reply sent; no defect confirmed."):
    return await client.post(
        f"/api/complaints/{complaint_id}/close", json={"resolution": resolution}, headers=headers
    )


async def reply(client, complaint_id, headers, text="Thank you; we are looking into it."):
    return await client.post(
        f"/api/complaints/{complaint_id}/reply", json={"text": text}, headers=headers
    )


async def put_under_investigation(complaint_id: int, status: str = "open") -> int:
    """What grouping into an investigation does to a complaint (owned by the investigations)."""
    investigation = investigation_tables.Investigation(
        reference=f"INV-{complaint_id}",
        title="Cloudy syrup",
        status=status,
        created_at=clock.now(),
    )
    async with db.transaction():
        await investigation.save()
        await complaint_tables.Complaint.update(
            {
                complaint_tables.Complaint.status: "under_investigation",
                complaint_tables.Complaint.investigation: investigation.id,
                complaint_tables.Complaint.version: complaint_tables.Complaint.version + 1,
            }
        ).where(complaint_tables.Complaint.id == complaint_id)
    return investigation.id


async def conclude(investigation_id: int) -> None:
    await investigation_tables.Investigation.update(
        {investigation_tables.Investigation.status: "concluded"}
    ).where(investigation_tables.Investigation.id == investigation_id)


# Triage ------------------------------------------------------------------------------


async def test_qa_triages_a_received_complaint(client, qa):
    complaint = await log(client)
    response = await triage(client, complaint["id"], qa, **TRIAGE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "triaged"
    assert (body["category"], body["severity"]) == ("quality_defect", "major")
    assert body["investigate"] is True
    assert body["triage_reason"] is None
    assert body["pharmacovigilance"] is False
    assert body["triaged_at"] is not None
    assert body["field_alert_due_at"] is None  # the default profile (bpom) has no field alert
    assert body["version"] == complaint["version"] + 1

    detail = (await client.get(f"/api/complaints/{complaint['id']}", headers=qa)).json()
    assert detail["status"] == "triaged"
    assert [entry["action"] for entry in detail["history"]] == ["created", "triaged"]
    entry = detail["history"][1]
    assert entry["old_values"]["status"] == "received"
    assert entry["old_values"]["category"] is None
    assert entry["new_values"]["status"] == "triaged"
    assert entry["new_values"]["category"] == "quality_defect"
    assert entry["new_values"]["severity"] == "major"


async def test_not_investigating_records_the_reason(client, qa):
    body = await triaged(client, qa, NO_INVESTIGATION)
    assert body["investigate"] is False
    assert body["triage_reason"] == NO_INVESTIGATION["reason"]
    detail = (await client.get(f"/api/complaints/{body['id']}", headers=qa)).json()
    assert detail["history"][-1]["reason"] == NO_INVESTIGATION["reason"]


@pytest.mark.parametrize("reason", [None, "", "   "])
async def test_not_investigating_without_a_reason_is_422_naming_reason(client, qa, reason):
    complaint = await log(client)
    body = {**NO_INVESTIGATION, "reason": reason}
    response = await triage(client, complaint["id"], qa, **body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("reason:")
    unchanged = (await client.get(f"/api/complaints/{complaint['id']}", headers=qa)).json()
    assert unchanged["status"] == "received"
    assert [entry["action"] for entry in unchanged["history"]] == ["created"]


async def test_reason_may_be_left_out_entirely_when_not_investigating_is_still_422(client, qa):
    complaint = await log(client)
    body = {key: value for key, value in NO_INVESTIGATION.items() if key != "reason"}
    response = await triage(client, complaint["id"], qa, **body)
    assert response.status_code == 422
    assert "reason" in response.json()["detail"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "spoiled"}, "category"),
        ({"severity": "catastrophic"}, "severity"),
        ({"investigate": "maybe"}, "investigate"),
        ({"reason": "x" * 5001}, "reason"),
    ],
)
async def test_bad_triage_values_are_400_naming_the_field(client, qa, changes, field):
    complaint = await log(client)
    response = await triage(client, complaint["id"], qa, **{**TRIAGE, **changes})
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith(f"{field}:")


@pytest.mark.parametrize("missing", ["category", "severity", "investigate"])
async def test_missing_triage_field_is_400_naming_it(client, qa, missing):
    complaint = await log(client)
    body = {key: value for key, value in TRIAGE.items() if key != missing}
    response = await triage(client, complaint["id"], qa, **body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{missing}:")


async def test_triaging_twice_is_409(client, qa):
    body = await triaged(client, qa)
    response = await triage(client, body["id"], qa, **NO_INVESTIGATION)
    assert response.status_code == 409
    after = (await client.get(f"/api/complaints/{body['id']}", headers=qa)).json()
    assert after["category"] == "quality_defect"
    assert [entry["action"] for entry in after["history"]] == ["created", "triaged"]


async def test_triaging_a_closed_complaint_is_409(client, qa):
    body = await triaged(client, qa, NO_INVESTIGATION)
    assert (await close(client, body["id"], qa)).status_code == 200
    assert (await triage(client, body["id"], qa, **TRIAGE)).status_code == 409


async def test_triaging_an_unknown_complaint_is_404(client, qa):
    assert (await triage(client, 999_999, qa, **TRIAGE)).status_code == 404


async def test_concurrent_triages_one_wins_the_other_is_409(client, qa):
    complaint = await log(client)
    other_qa = await headers_for("qa")
    responses = await asyncio.gather(
        triage(client, complaint["id"], qa, **TRIAGE),
        triage(client, complaint["id"], other_qa, **NO_INVESTIGATION),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    detail = (await client.get(f"/api/complaints/{complaint['id']}", headers=qa)).json()
    assert [entry["action"] for entry in detail["history"]] == ["created", "triaged"]
    assert detail["version"] == complaint["version"] + 1


# Pharmacovigilance and field alerts ---------------------------------------------------


async def test_adverse_event_category_flags_pharmacovigilance(client, qa):
    body = await triaged(client, qa, {**TRIAGE, "category": "adverse_event"})
    assert body["pharmacovigilance"] is True


async def test_reported_adverse_event_flags_pharmacovigilance_whatever_the_category(client, qa):
    complaint = await log(client, adverse_event=True)
    response = await triage(client, complaint["id"], qa, **TRIAGE)
    assert response.json()["pharmacovigilance"] is True


async def test_list_filters_by_category_and_pharmacovigilance(client, qa):
    flagged = await triaged(client, qa, {**TRIAGE, "category": "adverse_event"})
    packaging = await triaged(client, qa, NO_INVESTIGATION)
    untriaged = await log(client)

    async def ids(query):
        response = await client.get(f"/api/complaints?{query}", headers=qa)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids("pharmacovigilance=true") == {flagged["id"]}
    assert await ids("pharmacovigilance=false") == {packaging["id"], untriaged["id"]}
    assert await ids("category=packaging") == {packaging["id"]}
    assert await ids("category=adverse_event&pharmacovigilance=true") == {flagged["id"]}
    bad = await client.get("/api/complaints?category=spoiled", headers=qa)
    assert bad.status_code == 400
    assert "category" in bad.json()["detail"]


@pytest.fixture
def fda_profiles(monkeypatch) -> Iterator[None]:
    """An installation whose complaints answer to BPOM and FDA."""
    monkeypatch.setenv("RECALL_COMPLAINT_PROFILES", "bpom,fda")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def thanksgiving_eve(frozen_clock: list[datetime]) -> datetime:
    frozen_clock[0] = datetime(
        2027, 11, 24, 15, 0, tzinfo=UTC
    )  # a Wednesday, the day before Thanksgiving
    return frozen_clock[0]


async def test_fda_field_alert_deadline_is_three_working_days(
    client, fda_profiles, thanksgiving_eve
):
    assert get_settings().complaint_profiles == ("bpom", "fda")
    body = await triaged(client, await headers_for("qa"))
    assert body["received_at"] == "2027-11-24T15:00:00Z"
    # Thu 25 is Thanksgiving: Fri 26, Mon 29, Tue 30; due at the end of Tue 30 in New York.
    assert body["field_alert_due_at"] == "2027-12-01T04:59:59.999999Z"


async def test_fda_field_alert_only_for_field_alert_categories(
    client, fda_profiles, thanksgiving_eve
):
    body = await triaged(client, await headers_for("qa"), {**TRIAGE, "category": "adverse_event"})
    assert body["field_alert_due_at"] is None


async def test_without_the_fda_profile_there_is_no_field_alert(client, qa):
    assert "fda" not in get_settings().complaint_profiles
    body = await triaged(client, qa)
    assert body["field_alert_due_at"] is None


# Replies -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["cs", "qa"])
async def test_replies_are_recorded_in_any_open_status(client, qa, role):
    complaint = await log(client)
    headers = await headers_for(role)
    first = await reply(client, complaint["id"], headers, "We received your complaint.")
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "received"
    await triage(client, complaint["id"], qa, **TRIAGE)
    second = await reply(client, complaint["id"], headers, "  Our QA team is investigating.  ")
    assert second.status_code == 201
    replies = second.json()["replies"]
    assert [r["text"] for r in replies] == [
        "We received your complaint.",
        "Our QA team is investigating.",
    ]
    assert all(r["replied_by_name"].startswith("Test ") for r in replies)
    assert all(r["replied_at"].endswith("Z") for r in replies)

    await put_under_investigation(complaint["id"])
    assert (await reply(client, complaint["id"], headers)).status_code == 201

    detail = (await client.get(f"/api/complaints/{complaint['id']}", headers=qa)).json()
    assert len(detail["replies"]) == 3
    assert [e["action"] for e in detail["history"]].count("replied") == 3


async def test_reply_to_a_closed_complaint_is_409(client, qa):
    body = await triaged(client, qa, NO_INVESTIGATION)
    assert (await close(client, body["id"], qa)).status_code == 200
    response = await reply(client, body["id"], await headers_for("cs"))
    assert response.status_code == 409
    detail = (await client.get(f"/api/complaints/{body['id']}", headers=qa)).json()
    assert detail["replies"] == []


@pytest.mark.parametrize(
    ("text", "status"), [("", 400), ("   ", 422), ("x" * 5001, 400), ("a\x00b", 422)]
)
async def test_bad_reply_text_is_refused_naming_text(client, qa, text, status):
    complaint = await log(client)
    response = await reply(client, complaint["id"], qa, text)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith("text:")


async def test_reply_to_an_unknown_complaint_is_404(client, qa):
    assert (await reply(client, 999_999, qa)).status_code == 404


# Closing -------------------------------------------------------------------------------


async def test_close_a_triaged_complaint_not_investigated(client, qa):
    body = await triaged(client, qa, NO_INVESTIGATION)
    response = await close(client, body["id"], qa, "Label reprint tolerance explained; no defect.")
    assert response.status_code == 200, response.text
    closed = response.json()
    assert closed["status"] == "closed"
    assert closed["resolution"] == "Label reprint tolerance explained; no defect."
    assert closed["closed_at"] is not None
    entry = closed["history"][-1]
    assert entry["action"] == "closed"
    assert entry["old_values"]["status"] == "triaged"
    assert entry["new_values"]["status"] == "closed"


async def test_close_a_received_complaint_is_409(client, qa):
    complaint = await log(client)
    response = await close(client, complaint["id"], qa)
    assert response.status_code == 409
    assert "triaged" in response.json()["detail"]


async def test_close_when_triage_decided_to_investigate_is_409(client, qa):
    body = await triaged(client, qa, TRIAGE)
    response = await close(client, body["id"], qa)
    assert response.status_code == 409
    assert "investigat" in response.json()["detail"]


async def test_close_under_investigation_waits_for_the_conclusion(client, qa):
    body = await triaged(client, qa, TRIAGE)
    investigation_id = await put_under_investigation(body["id"])
    refused = await close(client, body["id"], qa)
    assert refused.status_code == 409
    assert "not concluded" in refused.json()["detail"]

    await conclude(investigation_id)
    response = await close(client, body["id"], qa)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"
    assert response.json()["investigation_id"] == investigation_id


async def test_closing_twice_is_409(client, qa):
    body = await triaged(client, qa, NO_INVESTIGATION)
    assert (await close(client, body["id"], qa)).status_code == 200
    assert (await close(client, body["id"], qa)).status_code == 409


@pytest.mark.parametrize(("resolution", "status"), [("", 400), ("  ", 422)])
async def test_close_without_a_resolution_is_refused_naming_it(client, qa, resolution, status):
    body = await triaged(client, qa, NO_INVESTIGATION)
    response = await close(client, body["id"], qa, resolution)
    assert response.status_code == status
    assert response.json()["detail"].startswith("resolution:")
    after = (await client.get(f"/api/complaints/{body['id']}", headers=qa)).json()
    assert after["status"] == "triaged"


async def test_concurrent_closes_one_wins(client, qa):
    body = await triaged(client, qa, NO_INVESTIGATION)
    responses = await asyncio.gather(close(client, body["id"], qa), close(client, body["id"], qa))
    assert sorted(r.status_code for r in responses) == [200, 409]


# Roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["cs", "qa_manager", "inspector", "admin", "distributor"])
async def test_only_qa_may_triage(client, qa, role):
    complaint = await log(client)
    headers = await headers_as("distributor") if role == "distributor" else await headers_for(role)
    response = await triage(client, complaint["id"], headers, **TRIAGE)
    assert response.status_code == 403
    after = (await client.get(f"/api/complaints/{complaint['id']}", headers=qa)).json()
    assert after["status"] == "received"


@pytest.mark.parametrize("role", ["cs", "qa_manager", "inspector", "admin", "distributor"])
async def test_only_qa_may_close(client, qa, role):
    body = await triaged(client, qa, NO_INVESTIGATION)
    headers = await headers_as("distributor") if role == "distributor" else await headers_for(role)
    assert (await close(client, body["id"], headers)).status_code == 403


@pytest.mark.parametrize("role", ["qa_manager", "inspector", "admin", "distributor"])
async def test_only_cs_and_qa_may_reply(client, role):
    complaint = await log(client)
    headers = await headers_as("distributor") if role == "distributor" else await headers_for(role)
    assert (await reply(client, complaint["id"], headers)).status_code == 403


async def test_inspector_reads_the_triage_and_replies(client, qa):
    body = await triaged(client, qa, NO_INVESTIGATION)
    await reply(client, body["id"], qa)
    inspector = await headers_for("inspector")
    detail = await client.get(f"/api/complaints/{body['id']}", headers=inspector)
    assert detail.status_code == 200
    assert detail.json()["triage_reason"] == NO_INVESTIGATION["reason"]
    assert len(detail.json()["replies"]) == 1


async def test_distributor_sees_nothing(client, qa):
    body = await triaged(client, qa, NO_INVESTIGATION)
    headers = await headers_as("distributor")
    assert (await client.get(f"/api/complaints/{body['id']}", headers=headers)).status_code == 403
    assert (await client.get("/api/complaints/trends", headers=headers)).status_code == 403


async def test_full_life_cycle_on_a_known_batch(client, qa):
    batch = await make_batch()
    complaint = await log(client, batch_no=batch.batch_no)
    assert complaint["batch_no"] == batch.batch_no
    await reply(client, complaint["id"], await headers_for("cs"))
    await triage(client, complaint["id"], qa, **NO_INVESTIGATION)
    closed = (await close(client, complaint["id"], qa)).json()
    assert [e["action"] for e in closed["history"]] == ["created", "replied", "triaged", "closed"]
    verify = await client.get("/api/audit/verify", headers=await headers_for("inspector"))
    assert verify.json()["ok"] is True


async def test_through_an_investigation_to_closure(client, qa):
    body = await triaged(client, qa, TRIAGE)
    opened = await client.post(
        "/api/investigations",
        json={"title": "Cloudy syrup", "complaint_ids": [body["id"]]},
        headers=qa,
    )
    assert opened.status_code == 201, opened.text
    grouped = (await client.get(f"/api/complaints/{body['id']}", headers=qa)).json()
    assert grouped["status"] == "under_investigation"
    assert grouped["investigation_id"] == opened.json()["id"]
    assert (await close(client, body["id"], qa)).status_code == 409

    found = await client.patch(
        f"/api/investigations/{opened.json()['id']}",
        json={"root_cause_category": "material", "root_cause": "Excipient lot at its limit."},
        headers=qa,
    )
    assert found.status_code == 200, found.text
    concluded = await client.post(
        f"/api/investigations/{opened.json()['id']}/conclude",
        json=conclusion_body(conclusion="Sedimentation within specification."),
        headers=qa,
    )
    assert concluded.status_code == 200, concluded.text
    response = await close(client, body["id"], qa)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"

"""Reports a complaint owes the authorities: created at triage, submitted, found in the register."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from recall import clock
from recall.settings import get_settings
from tests.factories import headers_for, make_complaint

SUBMISSION = {"reference": "FAR-2026-0042", "channel": "portal"}
QUALITY_DEFECT = {"category": "quality_defect", "severity": "major", "investigate": True}
SERIOUS_ADVERSE_EVENT = {"category": "adverse_event", "severity": "critical", "investigate": True}
COUNTERFEIT = {"category": "counterfeit", "severity": "critical", "investigate": True}


@pytest.fixture
async def qa() -> dict[str, str]:
    return await headers_for("qa")


async def triaged(client, qa, triage, **complaint) -> dict:
    logged = await make_complaint(client, **complaint)
    response = await client.post(f"/api/complaints/{logged['id']}/triage", json=triage, headers=qa)
    assert response.status_code == 200, response.text
    return response.json()


async def submit(client, complaint_id, kind, headers, **body):
    return await client.post(
        f"/api/complaints/{complaint_id}/obligations/{kind}/submission",
        json={"submitted_at": iso(clock.now()), **SUBMISSION, **body},
        headers=headers,
    )


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# Created at triage ---------------------------------------------------------------------------


async def test_a_quality_defect_owes_fda_a_field_alert(client, qa, bpom_and_fda, move_to):
    body = await triaged(client, qa, QUALITY_DEFECT)
    [obligation] = body["obligations"]
    assert obligation["kind"] == "field_alert"
    assert obligation["authority"] == "FDA"
    assert obligation["form"] == "Form FDA 3331a"
    assert obligation["submitted_at"] is None and obligation["reference"] is None
    assert obligation["overdue"] is False
    # The first-release answer is the field alert's due time.
    assert body["field_alert_due_at"] == obligation["due_at"]
    assert at(obligation["due_at"]) > at(body["received_at"]) + timedelta(days=2)


async def test_a_serious_adverse_event_owes_a_report_to_each_authority(
    client, qa, bpom_and_fda, move_to
):
    body = await triaged(client, qa, SERIOUS_ADVERSE_EVENT, adverse_event=True)
    reports = [o for o in body["obligations"] if o["kind"] == "adverse_event_report"]
    assert sorted(o["profile"] for o in reports) == ["bpom", "fda"]
    assert {o["form"] for o in reports if o["profile"] == "bpom"} == {"e-MESO"}
    assert body["field_alert_due_at"] is None
    # Fifteen calendar days from receipt, at the earliest.
    assert all(at(o["due_at"]) >= at(body["received_at"]) + timedelta(days=14) for o in reports)


async def test_a_counterfeit_owes_a_field_alert_and_an_illegitimate_product_notice(
    client, qa, bpom_and_fda, move_to
):
    body = await triaged(client, qa, COUNTERFEIT)
    kinds = {o["kind"]: o for o in body["obligations"]}
    assert set(kinds) == {"field_alert", "illegitimate_product"}
    dscsa = kinds["illegitimate_product"]
    assert dscsa["authority"] == "FDA" and dscsa["form"] == "Form FDA 3911"
    # 24 hours from the determination, i.e. the triage.
    assert at(dscsa["due_at"]) == at(body["triaged_at"]) + timedelta(hours=24)
    # Earliest due first.
    assert body["obligations"][0]["kind"] == "illegitimate_product"


async def test_a_minor_defect_under_bpom_alone_owes_nothing(client, qa, move_to):
    assert "fda" not in get_settings().complaint_profiles
    body = await triaged(client, qa, QUALITY_DEFECT)
    assert body["obligations"] == []
    detail = await client.get(f"/api/complaints/{body['id']}", headers=qa)
    assert detail.json()["obligations"] == []


# Submission -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["qa", "qa_manager"])
async def test_a_submission_is_recorded_once_and_audited(client, qa, bpom_and_fda, move_to, role):
    body = await triaged(client, qa, QUALITY_DEFECT)
    headers = await headers_for(role)
    response = await submit(client, body["id"], "field_alert", headers, channel="email")
    assert response.status_code == 201, response.text
    recorded = response.json()
    assert recorded["kind"] == "field_alert" and recorded["authority"] == "FDA"
    assert recorded["reference"] == "FAR-2026-0042" and recorded["channel"] == "email"
    assert at(recorded["submitted_at"]) == clock.now()
    detail = (await client.get(f"/api/complaints/{body['id']}", headers=qa)).json()
    assert detail["obligations"][0]["submitted_at"] == recorded["submitted_at"]
    entry = next(e for e in detail["history"] if e["action"] == "obligation_submitted")
    assert entry["new_values"]["reference"] == "FAR-2026-0042"
    assert entry["new_values"]["authority"] == "FDA"

    again = await submit(client, body["id"], "field_alert", headers)
    assert again.status_code == 409


async def test_two_submissions_at_once_record_one(client, qa, bpom_and_fda, move_to):
    body = await triaged(client, qa, QUALITY_DEFECT)
    other_qa = await headers_for("qa")
    responses = await asyncio.gather(
        submit(client, body["id"], "field_alert", qa, reference="FIRST"),
        submit(client, body["id"], "field_alert", other_qa, reference="SECOND"),
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    detail = (await client.get(f"/api/complaints/{body['id']}", headers=qa)).json()
    winner = next(r for r in responses if r.status_code == 201).json()
    assert detail["obligations"][0]["reference"] == winner["reference"]
    submitted = [e for e in detail["history"] if e["action"] == "obligation_submitted"]
    assert len(submitted) == 1


async def test_the_authority_picks_among_reports_of_one_kind(client, qa, bpom_and_fda, move_to):
    body = await triaged(client, qa, SERIOUS_ADVERSE_EVENT, adverse_event=True)
    fda = await submit(client, body["id"], "adverse_event_report", qa, authority="FDA")
    assert fda.status_code == 201, fda.text
    assert fda.json()["profile"] == "fda"
    # Without an authority: the earliest due one still open, here BPOM's.
    rest = await submit(client, body["id"], "adverse_event_report", qa, reference="MESO-17")
    assert rest.status_code == 201, rest.text
    assert rest.json()["profile"] == "bpom" and rest.json()["reference"] == "MESO-17"
    assert (await submit(client, body["id"], "adverse_event_report", qa)).status_code == 409
    again = await submit(client, body["id"], "adverse_event_report", qa, authority="bpom")
    assert again.status_code == 409


async def test_the_authority_is_matched_without_regard_to_case(client, qa, bpom_and_fda, move_to):
    body = await triaged(client, qa, SERIOUS_ADVERSE_EVENT, adverse_event=True)
    response = await submit(client, body["id"], "adverse_event_report", qa, authority="Bpom")
    assert response.status_code == 201, response.text
    assert response.json()["profile"] == "bpom"
    unknown = await submit(client, body["id"], "adverse_event_report", qa, authority="EMA")
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "authority"


async def test_a_report_the_complaint_does_not_owe_is_not_found(client, qa, bpom_and_fda, move_to):
    body = await triaged(client, qa, QUALITY_DEFECT)
    for kind in ("illegitimate_product", "adverse_event_report", "no_such_kind"):
        response = await submit(client, body["id"], kind, qa)
        assert response.status_code == 404, (kind, response.text)
    assert (await submit(client, 2**31 - 1, "field_alert", qa)).status_code == 404
    untriaged = await make_complaint(client)
    assert (await submit(client, untriaged["id"], "field_alert", qa)).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"submitted_at": None}, "submitted_at"),
        ({"reference": ""}, "reference"),
        ({"reference": "   "}, "reference"),
        ({"reference": "R" * 101}, "reference"),
        ({"reference": "FAR\n42"}, "reference"),
        ({"channel": "fax"}, "channel"),
        ({"channel": None}, "channel"),
        ({"submitted_at": "2026-03-02T09:00:00"}, "submitted_at"),  # no time zone
    ],
)
async def test_a_bad_submission_names_its_field(client, qa, bpom_and_fda, move_to, changes, field):
    body = await triaged(client, qa, QUALITY_DEFECT)
    response = await submit(client, body["id"], "field_alert", qa, **changes)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    detail = (await client.get(f"/api/complaints/{body['id']}", headers=qa)).json()
    assert detail["obligations"][0]["submitted_at"] is None


async def test_a_submission_is_not_dated_in_the_future_nor_before_receipt(
    client, qa, bpom_and_fda, move_to
):
    body = await triaged(client, qa, QUALITY_DEFECT)
    now, received = clock.now(), at(body["received_at"])
    for moment in (now + timedelta(hours=1), received - timedelta(minutes=1)):
        response = await submit(client, body["id"], "field_alert", qa, submitted_at=iso(moment))
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "submitted_at"
    # A submitter's clock a little ahead of ours is not the future.
    skewed = now + timedelta(minutes=2)
    response = await submit(client, body["id"], "field_alert", qa, submitted_at=iso(skewed))
    assert response.status_code == 201, response.text
    assert at(response.json()["submitted_at"]) == skewed


@pytest.mark.parametrize("role", ["cs", "inspector", "admin"])
async def test_only_quality_assurance_records_a_submission(client, qa, bpom_and_fda, move_to, role):
    body = await triaged(client, qa, QUALITY_DEFECT)
    response = await submit(client, body["id"], "field_alert", await headers_for(role))
    assert response.status_code == 403
    detail = (await client.get(f"/api/complaints/{body['id']}", headers=qa)).json()
    assert detail["obligations"][0]["submitted_at"] is None


# The register -------------------------------------------------------------------------------


async def test_the_register_finds_complaints_with_reports_due_or_overdue(
    client, qa, bpom_and_fda, move_to
):
    owing = await triaged(client, qa, QUALITY_DEFECT)
    nothing = await triaged(client, qa, {**QUALITY_DEFECT, "category": "other"})
    due_at = at(owing["obligations"][0]["due_at"])

    async def ids(which: str) -> set[int]:
        response = await client.get(f"/api/complaints?obligation={which}", headers=qa)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids("due") == set() and await ids("overdue") == set()
    move_to(due_at - timedelta(hours=23))
    assert await ids("due") == {owing["id"]} and await ids("overdue") == set()
    move_to(due_at + timedelta(minutes=1))
    assert await ids("due") == {owing["id"]} == await ids("overdue")
    detail = (await client.get(f"/api/complaints/{owing['id']}", headers=qa)).json()
    assert detail["obligations"][0]["overdue"] is True
    assert nothing["id"] not in await ids("due")

    assert (await submit(client, owing["id"], "field_alert", qa)).status_code == 201
    assert await ids("due") == set() and await ids("overdue") == set()
    bad = await client.get("/api/complaints?obligation=soon", headers=qa)
    assert bad.status_code == 400
    assert "obligation" in bad.json()["detail"]

"""Submissions to authorities: recording what was sent, which deadline it meets, who may."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recall import db
from tests.api.authorities_setup import HOUR, deadline_of, recall_trail, submit
from tests.factories import START, headers_for, propose, recent_batch
from tests.reads import moment, recall_read

SENT = START + HOUR


async def listed(client, recall_id: int, role: str = "qa") -> dict:
    response = await client.get(
        f"/api/recalls/{recall_id}/submissions", headers=await headers_for(role)
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def later(move_to):
    """The clock two hours after approval (START), so a report sent at START + 1h is past."""
    move_to(START + 2 * HOUR)


async def test_an_initial_report_meets_the_initial_report_deadline(client, move_to, world, later):
    recall_id = world["recall"]["id"]
    response = await submit(
        client,
        recall_id,
        submitted_at=SENT.isoformat(),
        reference="  LAP-001/QA/III/2026 ",
        addressees=["Kepala Badan POM", "Balai Besar POM di Jakarta"],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "initial_report"
    assert body["authority"] == "BPOM" and body["profile"] == "bpom"
    assert moment(body["submitted_at"]) == SENT
    assert body["channel"] == "email"
    assert body["reference"] == "LAP-001/QA/III/2026"
    assert body["addressees"] == ["Kepala Badan POM", "Balai Besar POM di Jakarta"]
    assert body["recorded_by"] is not None and body["recorded_at"]
    assert body["meets"] == "initial_report"
    assert body["late"] is False and body["days_late"] is None
    met = deadline_of(await recall_read(client, recall_id), "initial_report")
    assert moment(met["met_at"]) == SENT and met["late"] is False
    assert (await listed(client, recall_id, "inspector"))["items"] == [body]


async def test_the_earliest_submission_meets_the_deadline(client, move_to, world, later):
    recall_id = world["recall"]["id"]
    assert (await submit(client, recall_id, submitted_at=SENT.isoformat())).status_code == 201
    earlier = START + timedelta(minutes=10)
    assert (await submit(client, recall_id, submitted_at=earlier.isoformat())).status_code == 201
    assert (await submit(client, recall_id, submitted_at=SENT.isoformat())).status_code == 201
    met = deadline_of(await recall_read(client, recall_id), "initial_report")
    assert moment(met["met_at"]) == earlier
    assert [moment(s["submitted_at"]) for s in (await listed(client, recall_id))["items"]] == [
        earlier, SENT, SENT,
    ]  # fmt: skip


async def test_a_late_submission_says_how_late(client, move_to, world):
    recall_id = world["recall"]["id"]
    due = moment(deadline_of(world["recall"], "initial_report")["due_at"])
    sent = due + timedelta(days=2, hours=3)
    move_to(sent + HOUR)
    response = await submit(client, recall_id, submitted_at=sent.isoformat(), channel="portal")
    assert response.status_code == 201, response.text
    assert response.json()["late"] is True and response.json()["days_late"] == 2
    met = deadline_of(await recall_read(client, recall_id), "initial_report")
    assert met["late"] is True and met["days_late"] == 2


async def test_kinds_without_a_deadline_meet_nothing(client, move_to, world, later):
    recall_id = world["recall"]["id"]
    for kind in ("final_report", "termination_request", "public_warning"):
        response = await submit(client, recall_id, kind=kind, submitted_at=SENT.isoformat())
        assert response.status_code == 201, response.text
        assert response.json()["meets"] is None
    status = await submit(client, recall_id, kind="status_report", submitted_at=SENT.isoformat())
    assert status.json()["meets"] == "status_report"
    recall = await recall_read(client, recall_id)
    assert deadline_of(recall, "initial_report")["met_at"] is None
    assert moment(deadline_of(recall, "status_report")["met_at"]) == SENT


@pytest.mark.parametrize(
    "authority",
    [
        "BPOM",
        "bpom",
        " Bpom ",
        "Badan Pengawas Obat dan Makanan",
        "BADAN  PENGAWAS OBAT DAN MAKANAN",
    ],
)
async def test_authority_by_name_or_key_in_any_case(client, move_to, world, later, authority):
    response = await submit(
        client, world["recall"]["id"], authority=authority, submitted_at=SENT.isoformat()
    )
    assert response.status_code == 201, response.text
    assert response.json()["profile"] == "bpom" and response.json()["authority"] == "BPOM"


@pytest.mark.parametrize(
    "authority",
    [
        "FDA",  # a real authority, not one of this recall's
        "fda",
        "BPOM\x00",
        "BPOM\nFDA",
        "\u0412\u0420\u041e\u041c",  # Cyrillic look-alike of BPOM
        "\uff22\uff30\uff2f\uff2d",  # full-width BPOM
        "BP\u200bOM",  # zero-width space inside
        "bpom' OR '1'='1",
        "%",
        "b" * 200,
        "   ",
    ],
)
async def test_other_authority_strings_are_refused(client, move_to, world, later, authority):
    recall_id = world["recall"]["id"]
    response = await submit(client, recall_id, authority=authority, submitted_at=SENT.isoformat())
    assert response.status_code in (400, 422), response.text
    assert response.json()["field"] == "authority"
    assert (await listed(client, recall_id))["items"] == []


async def test_too_long_authority_is_refused(client, move_to, world, later):
    response = await submit(
        client, world["recall"]["id"], authority="B" * 201, submitted_at=SENT.isoformat()
    )
    assert response.status_code == 400 and response.json()["field"] == "authority"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"submitted_at": (START + 3 * HOUR).isoformat()}, "submitted_at"),  # the future
        ({"submitted_at": (START - timedelta(days=1)).isoformat()}, "submitted_at"),  # before
        ({"submitted_at": "2026-03-02T08:00:00"}, "submitted_at"),  # no time zone
        ({"kind": "letter_of_intent"}, "kind"),
        ({"channel": "fax"}, "channel"),
        ({"reference": "r" * 101}, "reference"),
        ({"reference": "LAP\n001"}, "reference"),
        ({"addressees": ["x"] * 51}, "addressees"),
        ({"addressees": ["a" * 201]}, "addressees"),
        ({"addressees": [""]}, "addressees"),
        ({"addressees": ["Kepala\x00Badan"]}, "addressees"),
        ({"addressees": [{"name": "Kepala"}]}, "addressees"),
        ({"addressees": "Kepala Badan POM"}, "addressees"),
    ],
)
async def test_bad_submissions_are_refused(client, move_to, world, later, changes, field):
    recall_id = world["recall"]["id"]
    body = {"submitted_at": SENT.isoformat(), **changes}
    response = await submit(client, recall_id, **body)
    assert response.status_code in (400, 422), response.text
    assert response.json()["field"].startswith(field)  # addressees[0] names the entry
    assert (await listed(client, recall_id))["items"] == []


async def test_a_small_clock_skew_is_accepted(client, move_to, world, later):
    ahead = START + 2 * HOUR + timedelta(minutes=2)
    response = await submit(client, world["recall"]["id"], submitted_at=ahead.isoformat())
    assert response.status_code == 201, response.text


async def test_proposed_recall_has_nothing_sent_yet(client, move_to):
    batch = await recent_batch()
    proposed = await propose(client, batch_ids=[batch.id])
    move_to(START + HOUR)
    response = await submit(client, proposed["id"], submitted_at=(START + HOUR).isoformat())
    assert response.status_code == 409, response.text


async def test_closed_recall_still_records_its_final_report(client, move_to, world, later):
    recall_id = world["recall"]["id"]
    await db.fetch("UPDATE recall SET status = 'closed' WHERE id = {}", recall_id)
    response = await submit(client, recall_id, kind="final_report", submitted_at=SENT.isoformat())
    assert response.status_code == 201, response.text


async def test_unknown_recall_is_404(client, move_to):
    assert (await submit(client, 999_999, submitted_at=START.isoformat())).status_code == 404
    response = await client.get("/api/recalls/999999/submissions", headers=await headers_for("qa"))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["distributor", "inspector", "admin", "cs"])
async def test_only_qa_staff_record_submissions(client, move_to, world, later, role):
    recall_id = world["recall"]["id"]
    code = world["pbf"].code if role == "distributor" else None
    headers = await headers_for(role, consignee_code=code)
    response = await submit(client, recall_id, headers, submitted_at=SENT.isoformat())
    assert response.status_code == 403, response.text


async def test_qa_manager_records_and_distributors_cannot_read(client, move_to, world, later):
    recall_id = world["recall"]["id"]
    headers = await headers_for("qa_manager")
    assert (
        await submit(client, recall_id, headers, submitted_at=SENT.isoformat())
    ).status_code == 201
    distributor = await headers_for("distributor", consignee_code=world["pbf"].code)
    response = await client.get(f"/api/recalls/{recall_id}/submissions", headers=distributor)
    assert response.status_code == 403


async def test_submissions_are_audited(client, move_to, world, later):
    recall_id = world["recall"]["id"]
    assert (await submit(client, recall_id, submitted_at=SENT.isoformat())).status_code == 201
    (entry,) = await recall_trail(client, recall_id, "submission_recorded")
    assert entry["new_values"]["kind"] == "initial_report"
    assert entry["new_values"]["authority"] == "BPOM"
    assert entry["new_values"]["deadlines_met"] == ["initial_report"]

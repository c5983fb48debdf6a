"""A proposal's order date, public-warning decision and profiles; the deadlines an order starts,
and what the approval signs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from recall import db, recalls, regulatory
from recall.auth._signatures import record_hash
from recall.clock import today
from tests.api.authorities_setup import ORDER
from tests.factories import START, approve, headers_for, proposal, propose, recent_batch
from tests.reads import moment


async def proposed(client, **changes) -> dict:
    batch = await recent_batch()
    return await propose(client, batch_ids=[batch.id], **changes)


async def refused(client, **changes) -> dict:
    batch = await recent_batch()
    response = await client.post(
        "/api/recalls",
        json=proposal(batch_ids=[batch.id], **changes),
        headers=await headers_for("qa"),
    )
    assert response.status_code == 422, response.text
    return response.json()


MANDATORY = {"recall_type": "mandatory", "authority_reference": ORDER}


# Orders --------------------------------------------------------------------------------------


async def test_mandatory_recall_keeps_its_order_date(client, move_to):
    ordered_on = today() - timedelta(days=2)
    body = await proposed(client, **MANDATORY, ordered_on=ordered_on.isoformat())
    assert body["ordered_on"] == ordered_on.isoformat()
    assert body["recall_type"] == "mandatory"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (MANDATORY, "ordered_on"),  # a mandatory recall without its order date
        ({"ordered_on": "2026-02-27"}, "ordered_on"),  # a voluntary one with one
        ({**MANDATORY, "ordered_on": "2026-03-03"}, "ordered_on"),  # tomorrow in Jakarta
    ],
)
async def test_order_date_rules(client, move_to, changes, field):
    assert (await refused(client, **changes))["field"] == field


async def test_order_date_is_judged_on_the_plant_calendar(client, move_to):
    # 2026-03-02 02:00 UTC is 09:00 in Jakarta: the plant's today, though still ahead of
    # some places on earth.
    body = await proposed(client, **MANDATORY, ordered_on="2026-03-02")
    assert body["ordered_on"] == "2026-03-02"
    move_to(START.replace(hour=18))  # 01:00 on 3 March in Jakarta, 2 March in UTC
    assert (await proposed(client, **MANDATORY, ordered_on="2026-03-03"))["ordered_on"]


async def test_deadlines_of_a_mandatory_recall_run_from_the_order_letter(client, move_to):
    ordered_on = date(2026, 2, 25)
    body = await proposed(client, **MANDATORY, ordered_on=ordered_on.isoformat())
    approved = await approve(client, body["id"])
    assert approved.status_code == 200, approved.text
    recall = approved.json()
    start = regulatory.order_start("bpom", ordered_on)
    expected = regulatory.recall_deadlines("bpom", "I", "retail", start)
    assert [(d["key"], moment(d["due_at"])) for d in recall["deadlines"]] == [
        (d.name, d.due_at) for d in expected
    ]
    assert {d["basis"] for d in recall["deadlines"]} == {"order"}
    assert all(d["name"] == d["key"] and d["profile"] == "bpom" for d in recall["deadlines"])
    # Due five days after the order: already late at approval a week later.
    initial = next(d for d in recall["deadlines"] if d["key"] == "initial_report")
    assert initial["late"] is True and initial["days_late"] >= 1


async def test_deadlines_of_a_voluntary_recall_run_from_approval(client, move_to):
    body = await proposed(client)
    recall = (await approve(client, body["id"])).json()
    expected = regulatory.recall_deadlines("bpom", "I", "retail", START)
    assert [moment(d["due_at"]) for d in recall["deadlines"]] == [d.due_at for d in expected]
    assert {d["basis"] for d in recall["deadlines"]} == {"approval"}
    assert not any(d["late"] or d["overridden"] for d in recall["deadlines"])
    assert recall["ordered_on"] is None


# Public warning ------------------------------------------------------------------------------


async def test_class_i_to_consumers_must_decide_the_public_warning(client):
    found = await refused(client, depth="consumer", public_warning=None)
    assert found["field"] == "public_warning"
    body = await proposed(client, depth="consumer", public_warning="general")
    assert body["public_warning"] == "general"


async def test_public_warning_defaults_to_none_elsewhere(client):
    assert (await proposed(client))["public_warning"] == "none"
    body = await proposed(client, recall_class="II", depth="consumer")
    assert body["public_warning"] == "none"
    assert (await proposed(client, public_warning="specialised"))["public_warning"] == (
        "specialised"
    )


async def test_unknown_public_warning_is_refused(client):
    batch = await recent_batch()
    response = await client.post(
        "/api/recalls",
        json=proposal(batch_ids=[batch.id], public_warning="loud"),
        headers=await headers_for("qa"),
    )
    assert response.status_code in (400, 422)
    assert response.json()["field"] == "public_warning"


# Profiles ------------------------------------------------------------------------------------


async def test_profiles_instead_of_profile(client):
    batch = await recent_batch()
    body = proposal(batch_ids=[batch.id], profiles=["fda", "bpom"])
    del body["profile"]
    response = await client.post("/api/recalls", json=body, headers=await headers_for("qa"))
    assert response.status_code == 201, response.text
    assert response.json()["profile"] == "fda"
    assert response.json()["profiles"] == ["fda", "bpom"]
    single = await proposed(client)
    assert single["profile"] == "bpom" and single["profiles"] == ["bpom"]


@pytest.mark.parametrize(
    "changes",
    [
        {"profiles": ["bpom", "bpom"]},
        {"profiles": ["bpom", "who"]},
        {"profiles": []},
        {"profile": "fda", "profiles": ["bpom", "fda"]},  # disagreeing
    ],
)
async def test_bad_profiles_are_refused(client, changes):
    assert (await refused(client, **changes))["field"] == "profiles"


async def test_a_proposal_names_a_profile(client):
    assert (await refused(client, profile=None))["field"] == "profile"


async def test_same_profile_in_both_is_accepted(client):
    body = await proposed(client, profile="bpom", profiles=["bpom", "eu"])
    assert body["profiles"] == ["bpom", "eu"]


# What the approval signs ---------------------------------------------------------------------


async def test_first_release_recall_signs_what_it_signed_before(client, move_to):
    body = await proposed(client)
    # As a first-release row: no order date, warning or profiles stored.
    await db.fetch(
        "UPDATE recall SET public_warning = NULL, profiles = NULL WHERE id = {}", body["id"]
    )
    recall = (await approve(client, body["id"])).json()
    first_release = recalls.signed_record(
        recall["reference"], "I", "voluntary", "retail", "bpom",
        recall["reason"], recall["health_hazard_assessment"],
        await recalls.recalled_batches([b["id"] for b in body["batches"]]),
    )  # fmt: skip
    assert recall["signatures"][-1]["record_hash"] == record_hash(first_release)
    assert recall["profiles"] == ["bpom"]


async def test_approval_signs_the_order_date_warning_and_markets(client, move_to):
    body = await proposed(
        client, **MANDATORY, ordered_on="2026-02-27", profiles=["bpom", "fda"], profile=None
    )
    recall = (await approve(client, body["id"])).json()
    signed = recalls.signed_record(
        recall["reference"], "I", "mandatory", "retail", "bpom",
        recall["reason"], recall["health_hazard_assessment"],
        await recalls.recalled_batches([b["id"] for b in body["batches"]]),
        ordered_on=date(2026, 2, 27), public_warning="none", profiles=["bpom", "fda"],
    )  # fmt: skip
    assert signed["ordered_on"] == "2026-02-27" and signed["profiles"] == ["bpom", "fda"]
    assert recall["signatures"][-1]["record_hash"] == record_hash(signed)

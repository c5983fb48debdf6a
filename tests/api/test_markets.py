"""One recall under several profiles: each market's deadlines, what meets them, its share of
the distribution and the addressees of its reports."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recall import alerts, recalls, regulatory
from recall.errors import InvalidInput
from tests.api.authorities_setup import (
    HOUR,
    deadline_of,
    notify_all,
    override,
    respond_all,
    submit,
    two_markets,
)
from tests.factories import START, approved_recall, make_consignee, recent_batch, ship
from tests.reads import moment, recall_read


@pytest.fixture
async def markets(client, move_to) -> dict:
    return await two_markets(client)


async def test_each_profile_has_its_deadlines(client, markets):
    recall = markets["recall"]
    assert recall["profile"] == "bpom" and recall["profiles"] == ["bpom", "fda"]
    by_profile = {(d["profile"], d["authority"]) for d in recall["deadlines"]}
    assert by_profile == {("bpom", "BPOM"), ("fda", "FDA")}
    fda = regulatory.recall_deadlines("fda", "I", "retail", START)
    assert sorted(
        (d["key"], moment(d["due_at"])) for d in recall["deadlines"] if d["profile"] == "fda"
    ) == sorted((d.name, d.due_at) for d in fda)


async def test_progress_is_counted_per_market(client, markets):
    recall_id = markets["recall"]["id"]
    await notify_all(recall_id, START + HOUR, country="US")
    await respond_all(recall_id, START + 2 * HOUR, ("ID-PBF",))
    recall = await recall_read(client, recall_id)
    assert moment(deadline_of(recall, "notify_consignees", "fda")["met_at"]) == START + HOUR
    assert deadline_of(recall, "notify_consignees", "bpom")["met_at"] is None
    assert moment(deadline_of(recall, "wholesale_complete", "bpom")["met_at"]) == (START + 2 * HOUR)
    assert deadline_of(recall, "retail_complete", "bpom")["met_at"] is None  # the pharmacy
    assert deadline_of(recall, "wholesale_complete", "fda")["met_at"] is None  # the importer
    # No consignee at retail level in the United States: nothing to complete there.
    assert moment(deadline_of(recall, "retail_complete", "fda")["met_at"]) == START


async def test_a_submission_meets_its_own_authoritys_deadline(client, move_to, markets):
    recall_id = markets["recall"]["id"]
    move_to(START + 2 * HOUR)
    sent = await submit(
        client, recall_id, authority="U.S. Food and Drug Administration",
        submitted_at=(START + HOUR).isoformat(), channel="portal",
    )  # fmt: skip
    assert sent.status_code == 201, sent.text
    assert sent.json()["profile"] == "fda" and sent.json()["authority"] == "FDA"
    assert sent.json()["meets"] == "initial_report"
    recall = await recall_read(client, recall_id)
    assert moment(deadline_of(recall, "initial_report", "fda")["met_at"]) == START + HOUR
    assert deadline_of(recall, "initial_report", "bpom")["met_at"] is None
    eu = await submit(client, recall_id, authority="EU", submitted_at=START.isoformat())
    assert eu.status_code == 422 and eu.json()["field"] == "authority"


async def test_override_names_the_profile_when_the_key_is_shared(client, markets):
    recall_id = markets["recall"]["id"]
    due = START + timedelta(days=12)
    ambiguous = await override(client, recall_id, "initial_report", due)
    assert ambiguous.status_code == 422, ambiguous.text
    assert ambiguous.json()["field"] == "profile"
    response = await override(client, recall_id, "initial_report", due, profile="fda")
    assert response.status_code == 200, response.text
    assert moment(deadline_of(response.json(), "initial_report", "fda")["due_at"]) == due
    assert deadline_of(response.json(), "initial_report", "fda")["overridden"] is True
    assert deadline_of(response.json(), "initial_report", "bpom")["overridden"] is False


async def test_distribution_by_market(markets):
    bpom, fda = await recalls.distribution_by_market(markets["recall"]["id"])
    assert (bpom.profile, bpom.authority, bpom.consignees) == ("bpom", "BPOM", 2)
    assert [(t.tier, t.consignees, t.quantity_distributed) for t in bpom.tiers] == [
        (1, 1, 1000),
        (2, 1, 40),
    ]
    (east_java,) = bpom.tiers[0].provinces
    assert (east_java.country, east_java.province) == ("ID", "Jawa Timur")
    assert (east_java.notified, east_java.acknowledged, east_java.responded) == (0, 0, 0)
    assert bpom.tiers[1].provinces[0].province == "Sumatera Utara"
    assert (fda.profile, fda.consignees, fda.quantity_distributed) == ("fda", 1, 300)
    (us,) = fda.tiers[0].provinces
    assert (us.country, us.province, us.quantity_distributed) == ("US", None, 300)


async def test_report_addressees(markets):
    recall_id = markets["recall"]["id"]
    offices = sorted(
        office.name
        for office in (
            regulatory.regional_office("Jawa Timur"),
            regulatory.regional_office("Sumatera Utara"),
        )
        if office is not None
    )
    assert len(offices) == 2
    assert await recalls.report_addressees(recall_id, "bpom") == [
        "Kepala Badan Pengawas Obat dan Makanan",
        *offices,
    ]
    assert await recalls.report_addressees(recall_id, "fda") == [
        "U.S. Food and Drug Administration"
    ]
    with pytest.raises(InvalidInput, match=r"^profile: "):
        await recalls.report_addressees(recall_id, "eu")


async def test_addressees_count_each_office_once(client, move_to):
    batch = await recent_batch()
    for code, province in (("A", "Jawa Timur"), ("B", "JAWA TIMUR"), ("C", None)):
        await ship(batch, await make_consignee(f"{code}-PBF", province=province), 10)
    recall = await approved_recall(client, batch)
    found = await recalls.report_addressees(recall["id"], "bpom")
    office = regulatory.regional_office("Jawa Timur")
    assert office is not None
    assert found == ["Kepala Badan Pengawas Obat dan Makanan", office.name]


async def test_each_market_is_escalated_with_its_own_consignees(client, move_to, markets):
    recall_id = markets["recall"]["id"]
    due = max(
        moment(deadline_of(markets["recall"], "notify_consignees", profile)["due_at"])
        for profile in ("bpom", "fda")
    )
    move_to(due + HOUR)
    assert await recalls.escalate_passed_deadlines() >= 2
    found, _ = await alerts.list_alerts(recall_id=recall_id, kind="deadline_passed")
    notify = {
        authority: next(a.detail for a in found if f"notify_consignees ({authority})" in a.detail)
        for authority in ("BPOM", "FDA")
    }
    assert "2 consignee(s)" in notify["BPOM"] and "ID-PBF" in notify["BPOM"]
    assert "US-IMP" not in notify["BPOM"]
    assert "1 consignee(s)" in notify["FDA"] and "US-IMP" in notify["FDA"]
    assert "ID-PBF" not in notify["FDA"]

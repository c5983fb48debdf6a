"""Where a consignee is: its country (ISO 3166 alpha-2) and, in Indonesia, its official province."""

from __future__ import annotations

import pytest

from recall import db, masterdata
from recall.settings import get_settings
from tests.api.helpers import entry, name
from tests.api.masterdata_setup import audit_trail, consignee_body
from tests.factories import make_consignee, recent_batch, ship


async def created(client, qa, **changes) -> dict:
    response = await client.post("/api/consignees", json=consignee_body(**changes), headers=qa)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_consignee_is_in_the_plant_country_unless_told(client, qa):
    body = consignee_body()
    assert "country" not in body
    consignee = await created(client, qa)
    assert (consignee["country"], consignee["province"]) == ("ID", "Jawa Timur")
    stored = await client.get(f"/api/consignees/{consignee['id']}", headers=qa)
    assert stored.json()["country"] == "ID"
    trail = await audit_trail(client, "consignee", consignee["id"])
    assert trail[0]["new_values"]["country"] == "ID"


async def test_the_plant_country_setting_is_the_default(client, qa, monkeypatch):
    monkeypatch.setenv("RECALL_PLANT_COUNTRY", "my")
    get_settings.cache_clear()
    try:
        assert get_settings().plant_country == "MY"
        consignee = await created(client, qa, province="Selangor")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert (consignee["country"], consignee["province"]) == ("MY", "Selangor")


async def test_country_in_lower_case_is_stored_upper_case(client, qa):
    consignee = await created(client, qa, country="us", province="New Jersey")
    assert consignee["country"] == "US"
    listed = (await client.get("/api/consignees", headers=qa)).json()["items"]
    assert [(c["country"], c["province"]) for c in listed] == [("US", "New Jersey")]


@pytest.mark.parametrize("country", ["XX", "USA", "Indonesia", "E", "EU", "12", "I D", " "])
async def test_a_country_that_is_not_iso_alpha_2_is_422(client, qa, country):
    response = await client.post(
        "/api/consignees", json=consignee_body(country=country), headers=qa
    )
    if not country.strip():  # blank is "not told": the plant's country
        assert response.status_code == 201, response.text
        assert response.json()["country"] == "ID"
        return
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("country: "), response.text
    assert (await client.get("/api/consignees", headers=qa)).json()["total"] == 0


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Daerah Khusus Jakarta", "DKI Jakarta"),
        ("dki jakarta", "DKI Jakarta"),
        ("East Java", "Jawa Timur"),
        ("  jawa   timur ", "Jawa Timur"),
        ("North Sumatra", "Sumatera Utara"),
        ("Papua Selatan", "Papua Selatan"),
    ],
)
async def test_an_indonesian_province_is_stored_under_its_official_name(client, qa, given, stored):
    consignee = await created(client, qa, province=given)
    assert consignee["province"] == stored
    one = await client.get(f"/api/consignees/{consignee['id']}", headers=qa)
    assert one.json()["province"] == stored


@pytest.mark.parametrize("province", ["Jakarta Raya Baru", "Selangor", "Bavaria"])
async def test_an_unknown_indonesian_province_is_422_with_a_hint(client, qa, province):
    response = await client.post(
        "/api/consignees", json=consignee_body(country="ID", province=province), headers=qa
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith("province: ") and "DKI Jakarta" in detail
    assert (await client.get("/api/consignees", headers=qa)).json()["total"] == 0


async def test_elsewhere_the_province_is_a_state_or_region_as_written(client, qa):
    us = await created(client, qa, code="US-1", country="US", province="New Jersey")
    de = await created(client, qa, code="DE-1", country="de", province="Bayern")
    # Not an Indonesian province's alias outside Indonesia: kept as written.
    sg = await created(client, qa, code="SG-1", country="SG", province="east java")
    assert [(c["country"], c["province"]) for c in (us, de, sg)] == [
        ("US", "New Jersey"),
        ("DE", "Bayern"),
        ("SG", "east java"),
    ]
    bad = await client.post(
        "/api/consignees",
        json=consignee_body(code="US-2", country="US", province="New\nJersey"),
        headers=qa,
    )
    assert bad.status_code == 422 and bad.json()["detail"].startswith("province: ")


async def test_the_consignee_list_finds_a_country_code(client, qa):
    await created(client, qa, code="US-1", country="US", province="Ohio")
    await created(client, qa, code="ID-1")
    found = await masterdata.list_consignees(q="US")
    assert [c.code for c in found[0]] == ["US-1"]


async def test_the_trace_names_each_consignee_country_and_province(client, qa):
    batch = await recent_batch()
    local = await make_consignee("PBF-JKT", province="Daerah Khusus Jakarta")
    abroad = await make_consignee("PBF-NJ", country="us", province="New Jersey")
    await ship(batch, local, 100)
    await ship(batch, abroad, 50)
    trace = await client.get(f"/api/batches/{batch.id}/trace", headers=qa)
    assert trace.status_code == 200, trace.text
    lines = {line["code"]: line for line in trace.json()["consignees"]}
    assert (lines["PBF-JKT"]["country"], lines["PBF-JKT"]["province"]) == ("ID", "DKI Jakarta")
    assert (lines["PBF-NJ"]["country"], lines["PBF-NJ"]["province"]) == ("US", "New Jersey")
    traced = await masterdata.trace_batch(batch.id)
    assert {(line.code, line.country) for line in traced.consignees} == {
        ("PBF-JKT", "ID"),
        ("PBF-NJ", "US"),
    }


async def test_consignee_markets_by_id():
    local = await make_consignee("PBF-SBY", province="Jawa Timur")
    abroad = await make_consignee("PBF-SG", country="SG", province=None)
    markets = await masterdata.consignee_markets([local.id, abroad.id, local.id, 424242, 0])
    assert markets == {local.id: ("ID", "Jawa Timur"), abroad.id: ("SG", None)}
    assert await masterdata.consignee_markets([]) == {}


# Customers a consignee names (the cascade) --------------------------------------------------


async def name_outlets(client, chain, *countries: str | None):
    """The chain's PBF names new outlets N-APT-1, N-APT-2, …, each with the country given
    (None: the field left out)."""
    entries = []
    for number, country in enumerate(countries, start=1):
        named = entry(chain["batch"], f"N-APT-{number}", 10, email=f"n{number}@example.com")
        entries.append(named if country is None else {**named, "country": country})
    return await name(client, chain, entries)


async def test_a_named_customer_takes_the_namer_country_unless_given(client, chain):
    await db.execute("UPDATE consignee SET country = 'MY' WHERE id = {}", chain["pbf"].id)
    response = await name_outlets(client, chain, None, "sg", "")
    assert response.status_code == 201, response.text
    stored = {
        row["code"]: (row["country"], row["province"])
        for row in await db.fetch("SELECT code, country, province FROM consignee")
    }
    assert stored["N-APT-1"] == ("MY", None)
    assert stored["N-APT-2"] == ("SG", None)
    assert stored["N-APT-3"] == ("MY", None)
    new = await masterdata.consignee_by_code("N-APT-2")
    trail = await audit_trail(client, "consignee", new.id)
    assert trail[0]["new_values"]["country"] == "SG"


async def test_a_named_customer_country_that_is_not_iso_is_422_naming_the_entry(client, chain):
    response = await name_outlets(client, chain, "ID", "Singapore")
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("consignees[1].country: "), response.text
    rows = await db.fetch("SELECT code FROM consignee WHERE code LIKE 'N-APT-%'")
    assert rows == []  # nothing half-written


async def test_a_known_customer_keeps_its_stored_country(client, chain):
    batch, known = chain["batch"], chain["known"]
    response = await name(client, chain, [entry(batch, known.code, 10, country="US")])
    assert response.status_code == 201, response.text
    assert (await masterdata.consignee_by_code(known.code)).country == "ID"

"""The consignee form and pages: the country chosen from a list (the plant's chosen first),
provinces offered by their official names, both shown on the list, the page and the download."""

from __future__ import annotations

import csv
import io
import re

from recall import masterdata
from tests.factories import make_consignee
from tests.pages.helpers import EN, post_form

FORM = {"code": "APT-NJ-01", "name": "Newark Pharmacy", "kind": "pharmacy"}


def selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    chosen = re.search(r'<option value="([^"]*)" selected>', select[1])
    return chosen[1] if chosen else None


async def test_the_form_offers_countries_and_provinces(client, qa):
    page = await client.get("/masterdata/consignees", headers=EN)
    assert page.status_code == 200
    assert selected(page.text, "country") == "ID"
    assert '<option value="US">United States</option>' in page.text
    assert '<option value="EU">' not in page.text  # a region, not a country
    assert 'list="province-names"' in page.text
    assert '<option value="DKI Jakarta">' in page.text
    assert page.text.count('<option value="Papua') == 6  # the 2022 provinces are there
    indonesian = await client.get("/masterdata/consignees")
    assert '<option value="US">Amerika Serikat</option>' in indonesian.text
    assert ">Negara" in indonesian.text


async def test_a_consignee_abroad_is_saved_with_its_country(client, qa):
    answer = await post_form(
        client, "/masterdata/consignees", {**FORM, "country": "US", "province": "New Jersey"}
    )
    assert answer.status_code == 201, answer.text[:500]
    consignee = await masterdata.consignee_by_code("APT-NJ-01")
    assert (consignee.country, consignee.province) == ("US", "New Jersey")
    page = await client.get(f"/masterdata/consignees/{consignee.id}", headers=EN)
    assert "United States (US)" in page.text and "New Jersey" in page.text
    listed = await client.get("/masterdata/consignees", headers=EN)
    assert '<abbr title="United States">US</abbr>' in listed.text


async def test_an_alias_is_saved_as_the_official_province(client, qa):
    answer = await post_form(
        client, "/masterdata/consignees", {**FORM, "country": "ID", "province": "East Java"}
    )
    assert answer.status_code == 201, answer.text[:500]
    assert (await masterdata.consignee_by_code("APT-NJ-01")).province == "Jawa Timur"


async def test_an_unknown_province_or_country_is_marked_and_nothing_stored(client, qa):
    answer = await post_form(
        client, "/masterdata/consignees", {**FORM, "country": "ID", "province": "Jawa Tengahan"}
    )
    assert answer.status_code == 422
    field = re.search(r'<input[^>]*name="province"[^>]*>', answer.text, re.S)
    assert field and 'aria-invalid="true"' in field[0]
    assert 'value="Jawa Tengahan"' in answer.text

    # A value the list never offers, as a forged request would send it.
    forged = await post_form(client, "/masterdata/consignees", {**FORM, "country": "ZZ"})
    assert forged.status_code == 422
    assert 'id="f-country-error"' in forged.text
    assert (await masterdata.list_consignees())[1] == 0


async def test_the_download_has_the_country_code(client, qa):
    await make_consignee("PBF-JKT-01", province="DKI Jakarta")
    await make_consignee("PBF-NJ-01", country="US", province="New Jersey")
    answer = await client.get("/masterdata/consignees/export?format=csv", headers=EN)
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [(r["Code"], r["Country"], r["Province"]) for r in rows] == [
        ("PBF-JKT-01", "ID", "DKI Jakarta"),
        ("PBF-NJ-01", "US", "New Jersey"),
    ]

"""Provinces, BPOM regional offices and countries (recall.regulatory)."""

import pytest

from recall import regulatory

NEW_PROVINCES = (
    "Papua Selatan",
    "Papua Tengah",
    "Papua Pegunungan",
    "Papua Barat Daya",
    "Kalimantan Utara",
    "Sulawesi Barat",
    "Kepulauan Riau",
    "Kepulauan Bangka Belitung",
    "DI Yogyakarta",
    "DKI Jakarta",
)


def test_there_are_38_provinces_by_their_official_names() -> None:
    assert len(regulatory.PROVINCES) == 38
    assert len(set(regulatory.PROVINCES)) == 38
    for name in NEW_PROVINCES:
        assert name in regulatory.PROVINCES


@pytest.mark.parametrize("province", regulatory.PROVINCES)
def test_every_province_has_a_bpom_office(province: str) -> None:
    office = regulatory.regional_office(province)
    assert office is not None
    assert office.name.startswith(("Balai Besar POM di ", "Balai POM di ", "Loka POM di "))
    assert office.city
    assert regulatory.canonical_province(province) == province


@pytest.mark.parametrize(
    ("text", "official"),
    [
        ("Daerah Khusus Jakarta", "DKI Jakarta"),
        ("Daerah Khusus Ibukota Jakarta", "DKI Jakarta"),
        ("Jakarta", "DKI Jakarta"),
        ("Daerah Istimewa Yogyakarta", "DI Yogyakarta"),
        ("Yogyakarta", "DI Yogyakarta"),
        ("D.I. Yogyakarta", "DI Yogyakarta"),
        ("NAD", "Aceh"),
        ("Nanggroe Aceh Darussalam", "Aceh"),
        ("East Java", "Jawa Timur"),
        ("West Java", "Jawa Barat"),
        ("Central Java", "Jawa Tengah"),
        ("North Sumatra", "Sumatera Utara"),
        ("Bali", "Bali"),
        ("Riau Islands", "Kepulauan Riau"),
        ("Bangka Belitung Islands", "Kepulauan Bangka Belitung"),
        ("South Papua", "Papua Selatan"),
        ("Provinsi Jawa Timur", "Jawa Timur"),
        ("West Papua Province", "Papua Barat"),
    ],
)
def test_aliases_give_the_official_name(text: str, official: str) -> None:
    assert regulatory.canonical_province(text) == official
    assert regulatory.regional_office(text) == regulatory.regional_office(official)


def test_case_and_spacing_do_not_matter() -> None:
    assert regulatory.canonical_province("  jawa   TIMUR ") == "Jawa Timur"
    assert regulatory.canonical_province("dki jakarta") == "DKI Jakarta"
    assert regulatory.canonical_province("papua\tbarat daya") == "Papua Barat Daya"


def test_offices_are_named_as_bpom_names_them() -> None:
    assert regulatory.regional_office("Jawa Timur") == regulatory.RegionalOffice(
        "Balai Besar POM di Surabaya", "Surabaya"
    )
    assert regulatory.regional_office("DKI Jakarta") == regulatory.RegionalOffice(
        "Balai Besar POM di Jakarta", "Jakarta"
    )
    assert regulatory.regional_office("Kalimantan Utara") == regulatory.RegionalOffice(
        "Balai POM di Tarakan", "Tarakan"
    )


def test_new_papua_provinces_map_to_the_office_covering_them() -> None:
    jayapura = regulatory.regional_office("Papua")
    for province in ("Papua Selatan", "Papua Tengah", "Papua Pegunungan"):
        assert regulatory.regional_office(province) == jayapura
    assert regulatory.regional_office("Papua Barat Daya") == regulatory.regional_office(
        "Papua Barat"
    )


@pytest.mark.parametrize("text", ["", "   ", "Atlantis", "Jawa", "Selangor", "Papua Utara"])
def test_unknown_province_is_none(text: str) -> None:
    assert regulatory.canonical_province(text) is None
    assert regulatory.regional_office(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [("id", "ID"), ("ID", "ID"), (" us ", "US"), ("nl", "NL"), ("ss", "SS"), ("cw", "CW")],
)
def test_country_codes_are_iso_alpha_2(text: str, code: str) -> None:
    assert regulatory.country_code(text) == code


@pytest.mark.parametrize(
    "text", ["", "001", "ZZ", "EU", "EZ", "UN", "XK", "QO", "IDN", "Indonesia", "I D", "1D"]
)
def test_non_countries_are_none(text: str) -> None:
    assert regulatory.country_code(text) is None


def test_country_names_come_in_the_language_asked() -> None:
    assert regulatory.country_name("US", "id") == "Amerika Serikat"
    assert regulatory.country_name("US", "en") == "United States"
    assert regulatory.country_name("id", "en") == "Indonesia"
    assert regulatory.country_name("DE", "id") == "Jerman"

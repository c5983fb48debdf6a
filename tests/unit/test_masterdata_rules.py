"""The pure rules master data obeys: GTINs, NIE numbers, codes, batch numbers, dates, amounts."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recall.errors import InvalidInput
from recall.gs1 import normalize_gtin
from recall.masterdata._models import (
    check_amount,
    check_batch_dates,
    check_batch_no,
    check_code,
    check_count,
    check_email,
    check_webhook_url,
    normalize_nie,
)
from recall.masterdata._service import new_webhook_secret
from recall.rules import is_valid_id, required_text
from tests.factories import gtin_with_check_digit


def refused(field: str) -> pytest.RaisesExc[InvalidInput]:
    return pytest.raises(InvalidInput, match=rf"^{field}: ")


# GTIN ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_gtin", "expected"),
    [
        ("96385074", "00000096385074"),  # GTIN-8
        ("036000291452", "00036000291452"),  # GTIN-12 (UPC-A)
        ("6291041500213", "06291041500213"),  # GTIN-13
        ("08991234567891", "08991234567891"),  # GTIN-14
        (" 6291041500213\n", "06291041500213"),
    ],
)
def test_gtin_is_normalized_to_14_digits(given_gtin, expected):
    assert normalize_gtin(given_gtin) == expected


@pytest.mark.parametrize(
    "bad",
    ["6291041500214", "629104150021", "62910415002133", "", "ABCDEFGHIJKLM", "6291 041500213"],
)
def test_malformed_gtin_is_refused_naming_the_field(bad):
    with refused("gtin"):
        normalize_gtin(bad)
    with refused("barcode_gtin"):
        normalize_gtin(bad, field="barcode_gtin")


def test_gtin_of_non_ascii_digits_is_refused():
    assert normalize_gtin("6291041500213") == "06291041500213"
    for bad in ("\u0666" * 13, "\uff16" * 8):  # Arabic-Indic and full-width digits
        with refused("product_gtin"):
            normalize_gtin(bad, field="product_gtin")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_a_gtin_with_its_check_digit_is_accepted_and_any_other_digit_refused(body):
    gtin = gtin_with_check_digit(body)
    assert normalize_gtin(gtin) == "0" + gtin
    for digit in "0123456789":
        if digit != gtin[-1]:
            with refused("gtin"):
                normalize_gtin(body + digit)


# NIE (BPOM registration number) --------------------------------------------------


@pytest.mark.parametrize(
    ("given_nie", "expected"),
    [
        ("DKL2012345601A1", "DKL2012345601A1"),
        ("dkl2012345601a1", "DKL2012345601A1"),
        ("  GBL9876543210B2 ", "GBL9876543210B2"),
        ("DTI1234567890A1", "DTI1234567890A1"),
        ("POM TR123456789", "POM TR123456789"),
        ("pom  sd123456789", "POM SD123456789"),
        ("TR123456789", "TR123456789"),
    ],
)
def test_valid_nie_is_normalized(given_nie, expected):
    assert normalize_nie(given_nie) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "DKL20123",
        "XKL2012345601A1",  # must start with D or G
        "DZL2012345601A1",
        "DKZ2012345601A1",
        "DKL2012345601AA",
        "DKL2012345601A1X",
        "DKL\uff12012345601A1",  # a full-width digit
        "POM TR12345",
    ],
)
def test_bad_nie_is_refused(bad):
    with refused("nie"):
        normalize_nie(bad)


# Codes, batch numbers, free text -------------------------------------------------


@pytest.mark.parametrize("code", ["PBF-JKT-01", "apt.sby_07", "A", "X" * 40, " RS-1 "])
def test_valid_codes(code):
    assert check_code(code, "code") == code.strip()


@pytest.mark.parametrize("code", ["", " ", "-PBF", ".x", "PBF 01", "X" * 41, "APT/1", "Ä1"])
def test_bad_codes_name_the_field(code):
    with refused("parent_code"):
        check_code(code, "parent_code")


@pytest.mark.parametrize("batch_no", ["SYR2401", "A", "B" * 20, "L-24/03.1", " X1 "])
def test_valid_batch_numbers(batch_no):
    assert check_batch_no(batch_no) == batch_no.strip()


@pytest.mark.parametrize("batch_no", ["", "AB 12", "B" * 21, "LOTÄ1", "A\tB"])
def test_bad_batch_numbers(batch_no):
    with refused("batch_no"):
        check_batch_no(batch_no)


def test_text_is_trimmed_bounded_and_printable():
    assert required_text("  Paracetamol  ", "name", 200, one_line=True) == "Paracetamol"
    for bad in ("", "   ", "x" * 201, "a\x00b", "line\nbreak"):
        with refused("name"):
            required_text(bad, "name", 200, one_line=True)
    assert required_text("x" * 60, "lot_no", 60, one_line=True) == "x" * 60


# Dates and quantities ------------------------------------------------------------


def test_expiry_must_follow_manufacture():
    check_batch_dates(date(2026, 1, 1), date(2026, 1, 2))
    for expires_on in (date(2026, 1, 1), date(2025, 12, 31)):
        with refused("expires_on"):
            check_batch_dates(date(2026, 1, 1), expires_on)


def test_counts_are_whole_positive_and_fit_the_column():
    assert check_count(1, "quantity_produced") == 1
    assert check_count(2_147_483_647, "quantity_produced") == 2_147_483_647
    for bad in (0, -1, 2_147_483_648, True):
        with refused("quantity_produced"):
            check_count(bad, "quantity_produced")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(Decimal("12.5"), Decimal("12.5")), ("0.001", Decimal("0.001")), (3, Decimal(3))],
)
def test_amounts(amount, expected):
    assert check_amount(amount, "quantity") == expected


@pytest.mark.parametrize(
    "bad", [Decimal(0), Decimal("-1"), Decimal("0.0001"), Decimal("NaN"), Decimal("Infinity"),
            Decimal("1e20"), "abc"],
)  # fmt: skip
def test_bad_amounts(bad):
    with refused("quantity"):
        check_amount(bad, "quantity")


@pytest.mark.parametrize(("value", "valid"), [(1, True), (2**31 - 1, True), (0, False),
                                             (-1, False), (2**31, False)])  # fmt: skip
def test_ids_in_range(value, valid):
    assert is_valid_id(value) is valid


# Contact details -----------------------------------------------------------------


def test_email():
    assert check_email(" qa@pbf.example.co.id ") == "qa@pbf.example.co.id"
    assert check_email(None) is None
    assert check_email("  ") is None
    for bad in ("qa", "qa@pbf", "q a@pbf.id", "a@@b.id", "x" * 250 + "@b.id"):
        with refused("email"):
            check_email(bad)


def test_webhook_url():
    url = "https://pbf.example.co.id/hooks/recall?x=1"
    assert check_webhook_url(f" {url} ") == url
    assert check_webhook_url("http://127.0.0.1:8080/h") == "http://127.0.0.1:8080/h"
    assert check_webhook_url("") is None
    for bad in (
        "ftp://pbf.example/h",
        "pbf.example.co.id/hook",
        "https://",
        "http://[::1",
        "https://pbf.example:99999/",
        "https://pb f.example/",
        "https://pbf.example/\x00",
        "https://x.example/" + "a" * 2000,
    ):
        with refused("webhook_url"):
            check_webhook_url(bad)


def test_webhook_secret_follows_standard_webhooks():
    secret = new_webhook_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 24
    assert new_webhook_secret() != secret


# Batch status: which shipments a hold refuses ----------------------------------------------


def test_a_released_batch_ships_on_any_day():
    from recall.masterdata import shipment_refused

    assert not shipment_refused("released", None, date(2026, 3, 2))
    assert not shipment_refused("released", date(2026, 3, 1), date(2026, 3, 2))


def test_a_held_or_recalled_batch_ships_nothing_from_the_hold_day_on():
    from recall.masterdata import shipment_refused

    held_on = date(2026, 3, 10)
    for status in ("on_hold", "recalled"):
        assert shipment_refused(status, held_on, date(2026, 3, 10))
        assert shipment_refused(status, held_on, date(2026, 3, 11))
        # Distribution that happened before the hold is a record of the past: accepted.
        assert not shipment_refused(status, held_on, date(2026, 3, 9))

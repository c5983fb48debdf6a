"""BPOM 2D barcodes (PerBPOM 22/2022): the NIE in AI (90) names the product when no GTIN does."""

from datetime import date

import pytest

from recall.errors import InvalidInput
from recall.gs1 import parse_scan

GS = "\x1d"
NIE = "DBL2107712337A1"
GTIN = "08992761123451"


@pytest.mark.parametrize(
    "text",
    [
        f"(90){NIE}(10)B2301(17)271231(21)SN-7",
        f"(90){NIE}(17)271231(10)B2301(21)SN-7",
        f"90{NIE}{GS}10B2301{GS}17271231{GS}21SN-7",
        f"90{NIE}{GS}1727123110B2301{GS}21SN-7",
        f"{GS}90{NIE}{GS}17271231" + f"10B2301{GS}21SN-7",
        f"]d290{NIE}{GS}10B2301{GS}17271231{GS}21SN-7",
    ],
)
def test_nie_scan_without_gtin_gives_nie_batch_expiry_and_serial(text):
    pack = parse_scan(text)
    assert (pack.gtin, pack.nie) == (None, NIE)
    assert (pack.batch_no, pack.expires_on, pack.serial) == ("B2301", date(2027, 12, 31), "SN-7")


def test_nie_is_read_in_capitals():
    assert parse_scan(f"(90){NIE.lower()}(10)B1").nie == NIE


def test_scan_with_gtin_and_nie_keeps_the_gtin():
    pack = parse_scan(f"(01){GTIN}(90){NIE}(10)B1(17)271231")
    assert (pack.gtin, pack.batch_no) == (GTIN, "B1")


@pytest.mark.parametrize("text", [f"(90){NIE}(17)271231(21)SN-7", f"90{NIE}{GS}17271231{GS}21SN-7"])
def test_nie_scan_without_batch_is_refused_naming_the_field(text):
    with pytest.raises(InvalidInput) as refused:
        parse_scan(text, field="scans[3]")
    assert refused.value.field == "scans[3]"
    assert "AI 10" in str(refused.value)


@pytest.mark.parametrize("text", ["(10)B1(17)271231", "(90)(10)B1", f"(90)  (10)B1{GS}"])
def test_scan_without_gtin_or_nie_is_refused(text):
    with pytest.raises(InvalidInput) as refused:
        parse_scan(text)
    assert refused.value.field == "barcode"

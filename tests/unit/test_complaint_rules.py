"""Pure complaint rules: life cycle, references, and what a scanned pack says."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from recall.complaints import (
    TRANSITIONS,
    Category,
    Channel,
    ComplaintStatus,
    Reporter,
    ReporterKind,
    Severity,
    transition,
)
from recall.complaints._models import REFERENCES, Complaint, excerpt, identify_pack
from recall.errors import Conflict, InvalidInput
from recall.rules import choice, text
from tests.factories import gtin_with_check_digit

GTIN13 = gtin_with_check_digit("899123456789")
GTIN14 = "0" + GTIN13
OTHER_GTIN13 = gtin_with_check_digit("899123456788")
GS = "\x1d"

S = ComplaintStatus


# Life cycle -----------------------------------------------------------------------


def test_every_status_has_a_row_in_the_transition_table():
    assert set(TRANSITIONS) == set(ComplaintStatus)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.RECEIVED, S.TRIAGED),
        (S.TRIAGED, S.UNDER_INVESTIGATION),
        (S.TRIAGED, S.CLOSED),
        (S.UNDER_INVESTIGATION, S.CLOSED),
    ],
)
def test_allowed_moves(current, target):
    assert transition(current, target) is target
    assert transition(current.value, target.value) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (current, target)
        for current in ComplaintStatus
        for target in ComplaintStatus
        if target not in TRANSITIONS[current]
    ],
)
def test_every_other_move_is_a_conflict(current, target):
    with pytest.raises(Conflict, match=f"{current.value} complaint cannot become {target.value}"):
        transition(current, target)


def test_closed_is_final_and_received_cannot_skip_triage():
    assert TRANSITIONS[S.CLOSED] == frozenset()
    assert S.CLOSED not in TRANSITIONS[S.RECEIVED]
    assert S.UNDER_INVESTIGATION not in TRANSITIONS[S.RECEIVED]


def test_vocabularies_match_the_contract():
    assert [c.value for c in Channel] == [
        "phone", "email", "letter", "web", "distributor", "authority", "other",
    ]  # fmt: skip
    assert [k.value for k in ReporterKind] == [
        "patient", "pharmacist", "physician", "nurse", "hospital", "pharmacy", "distributor",
        "authority", "other",
    ]  # fmt: skip
    assert [c.value for c in Category] == [
        "quality_defect", "adverse_event", "counterfeit", "lack_of_efficacy", "packaging", "other",
    ]  # fmt: skip
    assert [s.value for s in Severity] == ["critical", "major", "minor"]


# References -----------------------------------------------------------------------


def test_reference_is_zero_padded_to_six_digits():
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert REFERENCES.format(at, 1) == "CMP-2026-000001"
    assert REFERENCES.format(at, 123) == "CMP-2026-000123"
    assert REFERENCES.format(at, 999_999) == "CMP-2026-999999"


def test_reference_year_is_the_utc_year_of_receipt():
    jakarta = timezone(timedelta(hours=7))
    new_year_in_jakarta = datetime(2027, 1, 1, 3, 0, tzinfo=jakarta)  # still 2026 in UTC
    assert REFERENCES.format(new_year_in_jakarta, 7) == "CMP-2026-000007"
    new_york = timezone(timedelta(hours=-5))
    assert REFERENCES.format(datetime(2026, 12, 31, 20, 0, tzinfo=new_york), 1) == (
        "CMP-2027-000001"
    )


def test_reference_numbers_start_at_one():
    with pytest.raises(ValueError):
        REFERENCES.format(datetime(2026, 1, 1, tzinfo=UTC), 0)


# Scanned pack versus typed values ---------------------------------------------------


def test_human_readable_scan_fills_every_field():
    pack = identify_pack(None, None, f"(01){GTIN14}(17)281231(10)B2301(21)SN0001")
    assert (pack.gtin, pack.batch_no, pack.expires_on, pack.serial) == (
        GTIN14, "B2301", date(2028, 12, 31), "SN0001",
    )  # fmt: skip
    assert pack.gtin_field == "barcode"


def test_raw_scan_with_group_separators_fills_every_field():
    raw = f"]d201{GTIN14}17280630" + f"10LOT-7{GS}21XYZ"
    pack = identify_pack(None, None, raw)
    assert (pack.gtin, pack.batch_no, pack.expires_on, pack.serial) == (
        GTIN14, "LOT-7", date(2028, 6, 30), "XYZ",
    )  # fmt: skip


def test_typed_values_that_agree_with_the_scan_are_accepted():
    pack = identify_pack(GTIN13, "B2301", f"(01){GTIN14}(10)B2301")
    assert (pack.gtin, pack.batch_no) == (GTIN14, "B2301")


def test_typed_gtin_that_disagrees_with_the_scan_names_gtin():
    with pytest.raises(InvalidInput) as error:
        identify_pack(OTHER_GTIN13, None, f"(01){GTIN14}(10)B2301")
    assert error.value.field == "gtin"
    assert "does not match the barcode" in error.value.detail


def test_typed_batch_that_disagrees_with_the_scan_names_batch_no():
    with pytest.raises(InvalidInput) as error:
        identify_pack(GTIN13, "B9999", f"(01){GTIN14}(10)B2301")
    assert error.value.field == "batch_no"


def test_typed_batch_completes_a_scan_without_one():
    pack = identify_pack(None, "B2301", f"(01){GTIN14}(17)281231")
    assert (pack.batch_no, pack.expires_on) == ("B2301", date(2028, 12, 31))


def test_typed_values_alone_normalize_the_gtin_and_name_gtin_as_source():
    pack = identify_pack(f" {GTIN13} ", " B2301 ", None)
    assert (pack.gtin, pack.batch_no, pack.gtin_field) == (GTIN14, "B2301", "gtin")
    assert identify_pack(None, None, None) == identify_pack("", " ", "")


@pytest.mark.parametrize(
    ("gtin", "barcode", "field"),
    [
        (GTIN13[:-1] + str((int(GTIN13[-1]) + 1) % 10), None, "gtin"),  # wrong check digit
        ("89912345", None, "gtin"),  # wrong GTIN-8 check digit
        ("abc", None, "gtin"),
        (None, "hello world", "barcode"),
        (None, "(10)B2301(17)281231", "barcode"),  # no GTIN
        (None, f"(01){GTIN14[:-1]}{(int(GTIN14[-1]) + 1) % 10}(10)B1", "barcode"),
    ],
)
def test_malformed_codes_name_the_field_that_carried_them(gtin, barcode, field):
    with pytest.raises(InvalidInput) as error:
        identify_pack(gtin, None, barcode)
    assert error.value.field == field
    assert error.value.detail.startswith(f"{field}: ")


def test_batch_number_must_be_printable():
    with pytest.raises(InvalidInput) as error:
        identify_pack(None, "B\n1", None)
    assert error.value.field == "batch_no"


# Small helpers -------------------------------------------------------------------


def test_choice_names_the_field_and_lists_the_options():
    assert choice(ReporterKind, "nurse", "reporter.kind") is ReporterKind.NURSE
    with pytest.raises(InvalidInput) as error:
        choice(ReporterKind, "alien", "reporter.kind")
    assert error.value.field == "reporter.kind"
    assert "patient" in error.value.detail


def test_text_trims_and_limits():
    assert text("  Ani  ", "reporter.name", 200) == "Ani"
    assert text("   ", "reporter.contact", 200, required=False) is None
    with pytest.raises(InvalidInput, match="description: must not be empty"):
        text(" \n ", "description", 5000)
    with pytest.raises(InvalidInput, match=r"reporter\.name: at most 200"):
        text("x" * 201, "reporter.name", 200)


def test_excerpt_keeps_short_text_and_cuts_long_text():
    assert excerpt("Cloudy  syrup\nin bottle") == "Cloudy syrup in bottle"
    long = "word " * 100
    cut = excerpt(long)
    assert cut.endswith("…") and len(cut) <= 200


def _complaint(batch_no, batch_id):
    return Complaint(
        id=1, reference="CMP-2026-000001", status="received", channel="phone",
        reporter=Reporter("Ani", "patient"), product_id=None, product_name=None,
        product_strength=None, gtin=None, batch_id=batch_id, batch_no=batch_no,
        expires_on=None, serial=None, barcode=None, description="x", adverse_event=False,
        sample_available=False, category=None, severity=None,
        received_at=datetime(2026, 1, 1, tzinfo=UTC), created_by=None, version=1,
    )  # fmt: skip


def test_batch_known_flags_batches_we_never_made():
    assert _complaint("B1", 5).batch_known is True
    assert _complaint("FAKE1", None).batch_known is False
    assert _complaint(None, None).batch_known is None

"""Recall rules without a database: depth reach, notice planning, transitions, signed records."""

from datetime import date

import pytest

from recall.auth import record_hash
from recall.errors import Conflict, InvalidInput
from recall.masterdata import BatchView
from recall.recalls import (
    DEPTH_REACHES,
    Depth,
    RecallStatus,
    signed_record,
    transition,
    within_depth,
)
from recall.recalls._models import REFERENCES
from recall.rules import choice, required_text


def test_tier_one_is_always_notified_whatever_its_kind():
    for depth in Depth:
        for kind in ("pbf", "hospital", "pharmacy", "other"):
            assert within_depth(depth.value, 1, kind)


@pytest.mark.parametrize(
    ("depth", "kind", "expected"),
    [
        ("wholesale", "pbf", True),
        ("wholesale", "pharmacy", False),
        ("wholesale", "hospital", False),
        ("retail", "pharmacy", True),
        ("retail", "hospital", True),
        ("retail", "drugstore", True),
        ("consumer", "pharmacy", True),
        ("consumer", "some-future-kind", True),
    ],
)
def test_depth_reaches_kinds_beyond_tier_one(depth, kind, expected):
    assert within_depth(depth, 2, kind) is expected


def test_every_depth_is_described_as_data():
    assert set(DEPTH_REACHES) == set(Depth)


def test_only_a_proposed_recall_can_be_approved():
    assert transition("proposed", RecallStatus.IN_PROGRESS) is RecallStatus.IN_PROGRESS
    with pytest.raises(Conflict):
        transition("in_progress", RecallStatus.IN_PROGRESS)
    with pytest.raises(Conflict):
        transition("closed", RecallStatus.IN_PROGRESS)


def test_reference_has_four_digits_at_least():
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 22, tzinfo=UTC)
    assert REFERENCES.format(moment, 7) == "RCL-2026-0007"
    assert REFERENCES.format(moment, 12345) == "RCL-2026-12345"


def test_reference_year_is_the_utc_year_of_proposal():
    from datetime import datetime, timedelta, timezone

    new_year_in_jakarta = datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=7)))
    assert REFERENCES.format(new_year_in_jakarta, 1) == "RCL-2026-0001"


def test_blank_text_and_unknown_choices_name_the_field():
    with pytest.raises(InvalidInput, match=r"^reason: "):
        required_text("   ", "reason", 5000)
    with pytest.raises(InvalidInput, match=r"^depth: "):
        choice(Depth, "pharmacy", "depth")


def _batch(batch_no: str) -> BatchView:
    return BatchView(1, batch_no, "08991234567891", "Syrup", date(2028, 1, 31))


def test_signed_record_hash_is_stable_and_covers_what_was_approved():
    record = signed_record(
        "RCL-2026-0001", "I", "voluntary", "retail", "bpom", "DEG", "serious",
        [_batch("B2"), _batch("B1")],
    )  # fmt: skip
    same = signed_record(
        "RCL-2026-0001", "I", "voluntary", "retail", "bpom", "DEG", "serious",
        [_batch("B1"), _batch("B2")],
    )  # fmt: skip
    other_depth = {**record, "depth": "wholesale"}
    assert record_hash(record) == record_hash(same)
    assert record_hash(record) != record_hash(other_depth)
    assert len(record_hash(record)) == 64

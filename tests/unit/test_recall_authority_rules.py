"""Rules of a recall's markets, public warning and lateness (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from recall.errors import InvalidInput
from recall.masterdata import BatchView
from recall.recalls import signed_record
from recall.recalls._deadlines import lateness
from recall.recalls._orders import checked_profiles, checked_public_warning, profiles_of

DUE = datetime(2026, 3, 7, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("met_at", "now", "expected"),
    [
        (None, DUE - timedelta(hours=1), (False, None)),
        (None, DUE, (False, None)),
        (None, DUE + timedelta(minutes=1), (True, 1)),
        (None, DUE + timedelta(days=2, hours=23), (True, 2)),
        (DUE - timedelta(days=1), DUE + timedelta(days=30), (False, None)),
        (DUE + timedelta(days=3, hours=1), DUE + timedelta(days=30), (True, 3)),
    ],
)
def test_lateness_counts_whole_days_at_least_one(met_at, now, expected):
    assert lateness(DUE, met_at, now) == expected


def test_profiles_from_either_field():
    assert checked_profiles("bpom", None) == ["bpom"]
    assert checked_profiles(None, ("fda", "bpom")) == ["fda", "bpom"]
    assert checked_profiles("fda", ("fda", "eu")) == ["fda", "eu"]
    with pytest.raises(InvalidInput, match=r"^profile: "):
        checked_profiles(None, None)
    with pytest.raises(InvalidInput, match=r"^profile: "):
        checked_profiles("who", None)
    for profiles in ((), ("bpom", "bpom"), ("bpom", "BPOM"), ("x" * 10_000,)):
        with pytest.raises(InvalidInput, match=r"^profiles: ") as refused:
            checked_profiles(None, profiles)
        assert len(str(refused.value)) < 200


def test_first_release_rows_have_their_one_profile():
    assert profiles_of({"profile": "fda", "profiles": None}) == ["fda"]
    assert profiles_of({"profile": "bpom", "profiles": '["bpom", "fda"]'}) == ["bpom", "fda"]


def test_public_warning_decision():
    assert checked_public_warning("I", "retail", None) == "none"
    assert checked_public_warning("II", "consumer", None) == "none"
    assert checked_public_warning("I", "consumer", "general") == "general"
    with pytest.raises(InvalidInput, match=r"^public_warning: "):
        checked_public_warning("I", "consumer", None)
    with pytest.raises(InvalidInput, match=r"^public_warning: "):
        checked_public_warning("II", "retail", "loud")


def test_signed_record_adds_the_new_fields_only_when_set():
    batches = [BatchView(1, "B1", "08991234567891", "Syrup", date(2028, 1, 31))]
    args = ("RCL-2026-0001", "I", "voluntary", "retail", "bpom", "DEG", "serious", batches)
    first_release = signed_record(*args)
    assert set(first_release) == {
        "reference", "recall_class", "recall_type", "depth", "profile", "reason",
        "health_hazard_assessment", "batches",
    }  # fmt: skip
    assert signed_record(*args, profiles=["bpom"]) == first_release
    full = signed_record(
        *args, ordered_on=date(2026, 3, 1), public_warning="none", profiles=["bpom", "fda"]
    )
    assert full == {
        **first_release,
        "ordered_on": "2026-03-01",
        "public_warning": "none",
        "profiles": ["bpom", "fda"],
    }

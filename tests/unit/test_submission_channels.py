"""A report to an authority reaches it through one list of channels, a recall's and a
complaint's alike, each shown with its one label."""

from __future__ import annotations

import pytest

from recall import complaints, recalls, regulatory
from recall.errors import InvalidInput
from recall.rules import choice
from web.pages.labels import SUBMISSION_CHANNEL_NAMES


def test_the_channels_keep_their_json_values():
    values = [channel.value for channel in regulatory.SubmissionChannel]
    assert values == ["portal", "email", "letter", "hand_delivery", "other"]


def test_the_contexts_keep_no_list_of_their_own():
    assert not hasattr(recalls, "SubmissionChannel")
    assert not hasattr(complaints, "SubmissionChannel")


def test_every_channel_has_its_one_label():
    assert set(SUBMISSION_CHANNEL_NAMES) == set(regulatory.SubmissionChannel)


@pytest.mark.parametrize("typed", ["fax", "", "PORTAL "])
def test_a_channel_outside_the_list_is_refused_naming_the_field(typed):
    with pytest.raises(InvalidInput) as refused:
        choice(regulatory.SubmissionChannel, typed, "channel")
    assert refused.value.field == "channel"

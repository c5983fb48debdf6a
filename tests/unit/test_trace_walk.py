"""The trace's walk through shipments, tier by tier, without a database."""

from __future__ import annotations

from recall.masterdata._trace import walk

BATCH, OTHER = 1, 2
PBF, HOSPITAL, PHARMACY, CLINIC = 10, 20, 30, 40


def test_each_tier_is_one_below_its_sender():
    received = walk(
        [
            (BATCH, PBF, None, 100),
            (BATCH, HOSPITAL, PBF, 40),
            (BATCH, PHARMACY, HOSPITAL, 12),
        ]
    )
    assert received == {(BATCH, PBF, 1): 100, (BATCH, HOSPITAL, 2): 40, (BATCH, PHARMACY, 3): 12}


def test_shipments_to_one_consignee_at_one_tier_add_up():
    received = walk(
        [(BATCH, PBF, None, 100), (BATCH, PBF, None, 50), (BATCH, PHARMACY, PBF, 5),
         (BATCH, PHARMACY, PBF, 7)]
    )  # fmt: skip
    assert received == {(BATCH, PBF, 1): 150, (BATCH, PHARMACY, 2): 12}


def test_a_consignee_reached_at_two_tiers_passes_stock_on_from_its_nearest_only():
    # The hospital buys from us and from the PBF; its own sales count once, at tier 2.
    received = walk(
        [
            (BATCH, PBF, None, 100),
            (BATCH, HOSPITAL, None, 30),
            (BATCH, HOSPITAL, PBF, 20),
            (BATCH, PHARMACY, HOSPITAL, 5),
        ]
    )
    assert received == {
        (BATCH, PBF, 1): 100,
        (BATCH, HOSPITAL, 1): 30,
        (BATCH, HOSPITAL, 2): 20,
        (BATCH, PHARMACY, 2): 5,
    }


def test_shipments_from_consignees_never_reached_are_left_out():
    received = walk([(BATCH, PBF, None, 100), (BATCH, PHARMACY, CLINIC, 9)])
    assert received == {(BATCH, PBF, 1): 100}


def test_a_cycle_ends_and_counts_each_shipment_once():
    received = walk(
        [(BATCH, PBF, None, 100), (BATCH, HOSPITAL, PBF, 10), (BATCH, PBF, HOSPITAL, 2)]
    )
    assert received == {(BATCH, PBF, 1): 100, (BATCH, HOSPITAL, 2): 10, (BATCH, PBF, 3): 2}


def test_the_tier_limit_stops_a_long_chain():
    chain = [(BATCH, 100, None, 1)] + [(BATCH, 100 + n, 99 + n, 1) for n in range(1, 20)]
    received = walk(chain, max_tiers=5)
    assert sorted(tier for _, _, tier in received) == [1, 2, 3, 4, 5]


def test_batches_are_walked_apart():
    # The PBF received only the other batch from us: its sale of BATCH is not traced.
    received = walk([(OTHER, PBF, None, 10), (BATCH, PHARMACY, PBF, 3)])
    assert received == {(OTHER, PBF, 1): 10}

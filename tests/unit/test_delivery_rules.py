"""Delivery rules without a database: backoff with full jitter, which answers are retried."""

import pytest

from recall.notices import Outcome, retry_delay, webhook_outcome


def test_backoff_doubles_per_attempt_up_to_the_cap():
    top = [retry_delay(attempt, 5.0, 1800.0, uniform=lambda: 1.0) for attempt in range(1, 12)]
    assert top[:6] == [5.0, 10.0, 20.0, 40.0, 80.0, 160.0]
    assert top[-1] == 1800.0
    assert max(top) == 1800.0


def test_full_jitter_draws_anywhere_between_zero_and_the_backoff():
    assert retry_delay(3, 5.0, 1800.0, uniform=lambda: 0.0) == 0.0
    assert retry_delay(3, 5.0, 1800.0, uniform=lambda: 0.5) == 10.0
    draws = {retry_delay(4, 1.0, 100.0) for _ in range(200)}
    assert all(0.0 <= draw <= 8.0 for draw in draws)
    assert len(draws) > 100  # really random, not one fixed delay


def test_a_huge_attempt_number_stays_at_the_cap():
    assert retry_delay(10_000, 5.0, 60.0, uniform=lambda: 1.0) == 60.0
    assert retry_delay(0, 5.0, 60.0, uniform=lambda: 1.0) == 5.0


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_delivered(status):
    assert webhook_outcome(status) is Outcome.DELIVERED


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_timeouts_throttling_and_server_errors_are_retried(status):
    assert webhook_outcome(status) is Outcome.RETRY


@pytest.mark.parametrize("status", [301, 302, 400, 401, 403, 404, 405, 410, 413, 422])
def test_other_answers_are_final_failures(status):
    assert webhook_outcome(status) is Outcome.FAILED

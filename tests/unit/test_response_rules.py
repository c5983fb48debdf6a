"""Four eyes, a met deadline and an overdue notice: each decided once, in the domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recall.actors import SYSTEM, Actor, Role
from recall.notices import NO_PROGRESS, Progress, is_overdue
from recall.recalls import Deadline, deadline_met, may_approve

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MANAGER = Actor(7, "manager", "M. Anager", frozenset({Role.QA_MANAGER}))


def test_the_proposer_may_not_approve_their_own_recall():
    assert not may_approve(7, MANAGER)


def test_anyone_else_may_approve():
    assert may_approve(3, MANAGER)
    assert may_approve(None, MANAGER)


def test_an_actor_without_a_user_is_never_the_proposer():
    assert may_approve(None, SYSTEM)


def test_a_notice_without_response_is_overdue_once_its_deadline_has_passed():
    assert is_overdue(None, NOW - timedelta(seconds=1), NOW)
    assert not is_overdue(None, NOW, NOW)
    assert not is_overdue(None, NOW + timedelta(hours=1), NOW)


def test_a_notice_with_a_response_or_without_deadline_is_never_overdue():
    assert not is_overdue(NOW - timedelta(days=2), NOW - timedelta(days=1), NOW)
    assert not is_overdue(None, None, NOW)


def _progress(total: int, notified: int) -> Progress:
    return Progress(total, notified, 0, 0, 0, 0, 0, 0, 0)


def test_notifying_is_met_once_every_consignee_is_notified():
    deadline = Deadline("notify_consignees", NOW, "2 days")
    assert deadline_met(deadline, _progress(3, 3))
    assert not deadline_met(deadline, _progress(3, 2))
    assert not deadline_met(deadline, NO_PROGRESS)


def test_other_deadlines_are_not_met_by_notifying():
    deadline = Deadline("wholesale_complete", NOW, "10 days")
    assert not deadline_met(deadline, _progress(3, 3))

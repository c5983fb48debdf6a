"""Investigation risk (ICH Q9), containment and CAPA effectiveness rules without a database."""

from datetime import date, timedelta

import pytest

from recall.errors import Conflict, InvalidInput
from recall.investigations import (
    RISK_HIGH_FROM,
    RISK_MEDIUM_FROM,
    ContainmentAction,
    RiskLevel,
    RiskScore,
    assess_risk,
    risk_level,
)
from recall.investigations._models import (
    MAX_CONTAINMENT,
    capa_transition,
    check_containment,
    check_reopenable,
)

TODAY = date(2026, 11, 22)


def test_the_priority_is_the_product_of_the_three_factors():
    risk = assess_risk(RiskScore(severity=5, occurrence=3, detectability=2))
    assert (risk.severity, risk.occurrence, risk.detectability) == (5, 3, 2)
    assert risk.priority == 30
    assert risk.level == "medium"
    assert assess_risk(RiskScore(1, 1, 1)).priority == 1
    assert assess_risk(RiskScore(5, 5, 5)).priority == 125


@pytest.mark.parametrize(
    ("priority", "level"),
    [
        (1, RiskLevel.LOW),
        (RISK_MEDIUM_FROM - 1, RiskLevel.LOW),
        (RISK_MEDIUM_FROM, RiskLevel.MEDIUM),
        (RISK_HIGH_FROM - 1, RiskLevel.MEDIUM),
        (RISK_HIGH_FROM, RiskLevel.HIGH),
        (125, RiskLevel.HIGH),
    ],
)
def test_priorities_fall_in_documented_bands(priority, level):
    assert risk_level(priority) is level


def test_the_bands_are_low_to_12_medium_to_39_high_from_40():
    assert (RISK_MEDIUM_FROM, RISK_HIGH_FROM) == (13, 40)
    assert assess_risk(RiskScore(2, 2, 3)).level == "low"  # 12
    assert assess_risk(RiskScore(4, 4, 4)).level == "high"  # 64


@pytest.mark.parametrize(
    ("score", "field", "message"),
    [
        (RiskScore(occurrence=3, detectability=3), "risk.severity", "required"),
        (RiskScore(3, None, 3), "risk.occurrence", "required"),
        (RiskScore(3, 3, None), "risk.detectability", "required"),
        (RiskScore(0, 3, 3), "risk.severity", "from 1 to 5"),
        (RiskScore(3, 6, 3), "risk.occurrence", "from 1 to 5"),
        (RiskScore(3, 3, -1), "risk.detectability", "from 1 to 5"),
        (RiskScore(True, 3, 3), "risk.severity", "from 1 to 5"),  # type: ignore[arg-type]
    ],
)
def test_a_factor_missing_or_out_of_range_is_named(score, field, message):
    with pytest.raises(InvalidInput, match=message) as refused:
        assess_risk(score)
    assert refused.value.field == field


def test_containment_is_trimmed_and_keeps_its_order():
    actions = check_containment(
        [
            ContainmentAction("  Quarantine SYR2401 in the warehouse ", TODAY),
            ContainmentAction("Stop sales of the batch"),
        ],
        TODAY,
    )
    assert actions == (
        ContainmentAction("Quarantine SYR2401 in the warehouse", TODAY),
        ContainmentAction("Stop sales of the batch", None),
    )
    assert check_containment([], TODAY) == ()


@pytest.mark.parametrize(
    ("actions", "field"),
    [
        ([ContainmentAction("   ")], "containment[0].action"),
        ([ContainmentAction("ok"), ContainmentAction("")], "containment[1].action"),
        ([ContainmentAction("x" * 1001)], "containment[0].action"),
        ([ContainmentAction("a\x00b")], "containment[0].action"),
        ([ContainmentAction("ok", TODAY + timedelta(days=1))], "containment[0].done_on"),
        ([ContainmentAction("ok")] * (MAX_CONTAINMENT + 1), "containment"),
    ],
)
def test_bad_containment_names_the_line_and_field(actions, field):
    with pytest.raises(InvalidInput) as refused:
        check_containment(actions, TODAY)
    assert refused.value.field == field


def test_a_done_capa_found_ineffective_opens_again():
    assert check_reopenable("done") == "open"
    assert capa_transition("done", "open") == "open"
    assert capa_transition("open", "done") == "done"


def test_only_a_done_capa_has_its_effectiveness_checked():
    with pytest.raises(Conflict, match="not done yet"):
        check_reopenable("open")
    with pytest.raises(Conflict, match="already open"):
        capa_transition("open", "open")

"""The suggested action: each rule with a table of histories (ASAM-CPG Rec 9, ASHTON-1994)."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest

from checkins.instruments import RULES, Action, InstrumentInputError, WeekPoint, suggest
from checkins.instruments.suggest import CONTINUE, ESCALATE, HOLD, NO_BASELINE, SLOW, compare

START = date(2027, 1, 4)


def day(n: int) -> date:
    return START + timedelta(days=n)


def p(
    n: int,
    total: int,
    cut: int | None = None,
    *,
    max: int = 80,
    red: bool = False,
    urgent: bool = False,
) -> WeekPoint:
    """A check-in on day ``n`` whose last dose reduction was on day ``cut``."""
    return WeekPoint(
        on=day(n),
        total=total,
        max=max,
        partial=max != 80,
        red_flag=red,
        urgent=urgent,
        last_reduction=None if cut is None else day(cut),
    )


@pytest.mark.parametrize(
    ("history", "rule"),
    [
        # nothing to compare with
        ([p(0, 30)], NO_BASELINE),
        ([p(0, 5), p(7, 40)], NO_BASELINE),  # no reduction yet
        ([p(7, 40, cut=3)], NO_BASELINE),  # no check-in before the cut
        ([p(3, 10), p(7, 40, cut=3)], NO_BASELINE),  # a check-in ON the cut day is after it
        # stable or falling
        ([p(0, 20), p(14, 20, cut=7)], CONTINUE),
        ([p(0, 20), p(14, 12, cut=7)], CONTINUE),
        ([p(0, 30), p(14, 39, cut=7)], CONTINUE),  # +9 points, +30%: below both
        ([p(0, 4), p(14, 5, cut=7)], CONTINUE),  # +25%
        ([p(0, 0), p(14, 9, cut=7)], CONTINUE),  # from 0 only the points test applies
        # a rise after the last cut: hold
        ([p(0, 30), p(14, 40, cut=7)], HOLD),  # +10 points (33%)
        ([p(0, 4), p(14, 6, cut=7)], HOLD),  # +50% (2 points)
        ([p(0, 0), p(14, 10, cut=7)], HOLD),
        ([p(0, 10), p(7, 10), p(14, 21, cut=10)], HOLD),  # baseline: the LAST one before the cut
        ([p(0, 10), p(14, 25, cut=7), p(21, 14, cut=7), p(28, 25, cut=7)], HOLD),  # not in a row
        ([p(0, 10), p(14, 22, cut=7), p(28, 23, cut=21)], CONTINUE),  # new cut: new baseline
        # two check-ins in a row up on before the cut: slow
        ([p(0, 10), p(14, 20, cut=7), p(21, 21, cut=7)], SLOW),
        ([p(0, 5), p(7, 30, cut=7), p(14, 31, cut=7)], SLOW),
        ([p(0, 10), p(14, 20, cut=7), p(21, 14, cut=7)], CONTINUE),  # back down: +4, 40%
        # red flags and urgent check-ins: escalate, whatever the trend
        ([p(0, 20), p(14, 10, cut=7, red=True)], ESCALATE),
        ([p(0, 45, urgent=True)], ESCALATE),
        ([p(0, 10), p(14, 20, cut=7), p(21, 21, cut=7, red=True)], ESCALATE),
        ([p(0, 10, red=True), p(14, 10, cut=7)], CONTINUE),  # only the latest check-in counts
    ],
)
def test_rules(history, rule):
    result = suggest(history)
    assert result.rule is rule
    assert result.action is rule.action
    assert result.source == rule.source


@pytest.mark.parametrize(
    ("history", "rule", "scaled_baseline"),
    [
        # 30/80 is 25.5 of 68: +10.5 → hold (unscaled +6 would not be)
        ([p(0, 30), p(14, 36, cut=7, max=68)], HOLD, Fraction(51, 2)),
        # 30/68 is 35.3 of 80: +4.7 → continue (unscaled +10 would hold)
        ([p(0, 30, max=68), p(14, 40, cut=7)], CONTINUE, Fraction(600, 17)),
        # the docstring example: 20/80 is 17 of 68, 27/68 is +10
        ([p(0, 20), p(14, 27, cut=7, max=68)], HOLD, Fraction(17)),
        # same maximum: no scaling
        ([p(0, 30, max=68), p(14, 36, cut=7, max=68)], CONTINUE, Fraction(30)),
    ],
)
def test_unlike_maxima_are_compared_on_the_later_scale(history, rule, scaled_baseline):
    result = suggest(history)
    assert result.rule is rule
    assert result.comparison is not None
    assert result.comparison.scaled_baseline == scaled_baseline
    assert result.comparison.scaled is (history[0].max != history[-1].max)
    if result.comparison.scaled:
        assert "scaled" in result.reason


def test_reason_names_the_numbers_and_dates():
    result = suggest([p(0, 30), p(14, 40, cut=7)])
    assert result.reason == (
        "Higher than before the latest dose reduction: "
        "40/80 on 2027-01-18 against 30/80 on 2027-01-04: +10 points, +33.3%."
    )


def test_compare_percent_is_none_from_zero():
    assert compare(p(0, 0), p(14, 8, cut=7)).percent is None
    assert compare(p(0, 8), p(14, 4, cut=7)).percent == -50


def test_rules_are_named_with_descriptions_and_sources():
    assert [r.action for r in RULES] == [
        Action.ESCALATE,
        Action.SLOW,
        Action.HOLD,
        Action.CONTINUE,
        Action.CONTINUE,
    ]
    assert len({r.key for r in RULES}) == len(RULES)
    assert all(r.description and r.source for r in RULES)
    assert "ASAM-CPG Rec 9" in HOLD.source
    assert "ASHTON-1994" in CONTINUE.source
    assert "TAPER-CLINIC" in HOLD.source  # the 10-point / 50% thresholds are ours


def test_deterministic():
    history = [p(0, 10), p(14, 20, cut=7), p(21, 21, cut=7)]
    first = suggest(history)
    assert all(suggest(list(history)) == first for _ in range(5))
    assert suggest(tuple(history)) == first


@pytest.mark.parametrize(
    ("history", "path"),
    [
        ([], "history"),
        ([p(7, 10), p(0, 10)], "history.1.on"),
        ([p(0, 10), p(0, 12)], "history.1.on"),
        ([p(0, 10), p(7, 10), p(3, 10)], "history.2.on"),
    ],
)
def test_history_must_be_non_empty_and_oldest_first(history, path):
    with pytest.raises(InstrumentInputError) as caught:
        suggest(history)
    assert list(caught.value.errors) == [path]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"total": 81, "max": 80},
        {"total": -1, "max": 80},
        {"total": 0, "max": 0},
        {"total": 1, "max": 80, "last_reduction": day(1)},
    ],
)
def test_week_point_rejects_impossible_values(kwargs):
    with pytest.raises(ValueError, match="must"):
        WeekPoint(on=day(0), **kwargs)

"""A suggested nurse action from the weekly check-in history: pure, deterministic, cited.

The nurse decides; this only suggests. Rules, first match wins (each is a :class:`Rule`):

1. ``escalate`` (:data:`ESCALATE`): the latest check-in has a red flag or is urgent (red flag,
   not alert, or a total in the severe band). ASAM-CPG Rec 5 / Rec 12, CLINICAL-REFERENCE §4c
   and §7.15: never left for the weekly review.
2. ``slow`` (:data:`SLOW`): the latest check-in AND the one before it each show a rise (below).
   ASAM-CPG Rec 9: patients with marked symptoms "should be offered slower tapering"; ASAM-PT
   lists smaller or less frequent reductions.
3. ``hold`` (:data:`HOLD`): the latest check-in shows a rise. ASAM-CPG Rec 9: "If significant
   signs or symptoms emerge, the taper should be slowed or paused."
4. ``continue`` (:data:`NO_BASELINE`): there is no reduction yet, or no check-in before the
   last one, so nothing to compare with.
5. ``continue`` (:data:`CONTINUE`): stable or falling. ASHTON-1994: the pace is "individually
   titrated" and "usually under the patient's control"; nothing here speeds a taper up.

A **rise** at a check-in: its total is at least 10 points, or at least 50%, above the baseline,
the last check-in taken BEFORE the most recent dose reduction (``last_reduction``). The 10-point
and 50% thresholds are Taper Clinic's own (TAPER-CLINIC), not from a published source. From a
baseline of 0 only the 10-point test applies (50% of nothing is nothing).

Like with like: when the two totals have different maxima (a complete CIWA-B out of 80 and a
self-report one out of 68), the baseline is scaled to the later check-in's maximum before
comparing: ``baseline * later max / baseline max``, exactly (``Fraction``). This assumes the
missing items scored like the answered ones on average; it is a documented choice, shown in the
suggestion's reason. Example: baseline 20/80, later 27/68 → baseline 17 of 68, rise 10 points
→ hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from checkins.instruments.scoring import InstrumentInputError

__all__ = [
    "CONTINUE",
    "ESCALATE",
    "HOLD",
    "NO_BASELINE",
    "RISE_PERCENT",
    "RISE_POINTS",
    "RULES",
    "SLOW",
    "Action",
    "Comparison",
    "Rule",
    "Suggestion",
    "WeekPoint",
    "compare",
    "suggest",
]

#: A rise is at least this many points above the baseline (TAPER-CLINIC) ...
RISE_POINTS = 10
#: ... or at least this percentage above it (TAPER-CLINIC).
RISE_PERCENT = 50


class Action(StrEnum):
    ESCALATE = "escalate"
    HOLD = "hold"
    SLOW = "slow"
    CONTINUE = "continue"


@dataclass(frozen=True, slots=True)
class Rule:
    """A named suggestion rule: ``key``, the action, plain words and the source keys."""

    key: str
    action: Action
    description: str
    source: str


ESCALATE = Rule(
    "red-flag-escalate",
    Action.ESCALATE,
    "A red flag or an urgent check-in goes to the care team now, not to the weekly review.",
    "ASAM-CPG Rec 5, Rec 12; CLINICAL-REFERENCE §4c, §7.15",
)
SLOW = Rule(
    "rise-two-check-ins-slow",
    Action.SLOW,
    f"Symptoms {RISE_POINTS} points or {RISE_PERCENT}% or more above the last check-in before "
    "the latest dose reduction, at two check-ins in a row: ask the prescriber to slow the taper.",
    "ASAM-CPG Rec 9; ASAM-PT; ASHTON-1994; TAPER-CLINIC (thresholds)",
)
HOLD = Rule(
    "rise-after-reduction-hold",
    Action.HOLD,
    f"Symptoms {RISE_POINTS} points or {RISE_PERCENT}% or more above the last check-in before "
    "the latest dose reduction: hold the current dose for now.",
    "ASAM-CPG Rec 9; ASAM-PT; TAPER-CLINIC (thresholds)",
)
NO_BASELINE = Rule(
    "no-baseline-continue",
    Action.CONTINUE,
    "No dose reduction yet, or no check-in before the last one to compare with: no change "
    "suggested.",
    "TAPER-CLINIC",
)
CONTINUE = Rule(
    "stable-continue",
    Action.CONTINUE,
    "Symptoms stable or falling since before the last dose reduction: continue at the pace "
    "the patient is comfortable with.",
    "ASAM-CPG Rec 9; ASHTON-1994",
)

#: In the order they are tried.
RULES: tuple[Rule, ...] = (ESCALATE, SLOW, HOLD, NO_BASELINE, CONTINUE)


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One check-in in the history.

    ``max`` is the score's maximum (68 or 80 for CIWA-B); ``red_flag`` any red flag answered
    yes; ``urgent`` the assessment's urgency; ``last_reduction`` the date of the most recent dose
    reduction on or before ``on`` (None if the taper has not cut yet).
    """

    on: date
    total: int
    max: int
    partial: bool = False
    red_flag: bool = False
    urgent: bool = False
    last_reduction: date | None = None

    def __post_init__(self) -> None:
        if self.max <= 0 or not 0 <= self.total <= self.max:
            raise ValueError(f"total {self.total} must be between 0 and max {self.max} (> 0).")
        if self.last_reduction is not None and self.last_reduction > self.on:
            raise ValueError("last_reduction must be on or before the check-in date.")


@dataclass(frozen=True, slots=True)
class Comparison:
    """A check-in against its baseline, on the later check-in's scale."""

    baseline: WeekPoint
    later: WeekPoint
    scaled_baseline: Fraction
    points: Fraction
    percent: Fraction | None

    @property
    def scaled(self) -> bool:
        return self.baseline.max != self.later.max

    @property
    def is_rise(self) -> bool:
        if self.points >= RISE_POINTS:
            return True
        return self.percent is not None and self.percent >= RISE_PERCENT

    def describe(self) -> str:
        base = f"{self.baseline.total}/{self.baseline.max} on {self.baseline.on.isoformat()}"
        if self.scaled:
            base += f" (= {_num(self.scaled_baseline)}/{self.later.max} scaled)"
        change = f"{'+' if self.points >= 0 else ''}{_num(self.points)} points"
        if self.percent is not None:
            change += f", {'+' if self.percent >= 0 else ''}{_num(self.percent)}%"
        return (
            f"{self.later.total}/{self.later.max} on {self.later.on.isoformat()} "
            f"against {base}: {change}"
        )


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The suggested action, the rule that chose it, why in plain words, and its source."""

    action: Action
    rule: Rule
    reason: str
    source: str
    comparison: Comparison | None = None


def _num(value: Fraction) -> str:
    """A fraction for people: whole numbers as such, otherwise one decimal place."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.1f}"


def _baseline(history: Sequence[WeekPoint], index: int) -> WeekPoint | None:
    cut = history[index].last_reduction
    if cut is None:
        return None
    for point in reversed(history[:index]):
        if point.on < cut:
            return point
    return None


def compare(baseline: WeekPoint, later: WeekPoint) -> Comparison:
    """``later`` against ``baseline``, with the baseline scaled to ``later.max``."""
    scaled = Fraction(baseline.total * later.max, baseline.max)
    points = later.total - scaled
    percent = points / scaled * 100 if scaled else None
    return Comparison(baseline, later, scaled, points, percent)


def _comparison_at(history: Sequence[WeekPoint], index: int) -> Comparison | None:
    baseline = _baseline(history, index)
    return None if baseline is None else compare(baseline, history[index])


def _make(rule: Rule, reason: str, comparison: Comparison | None = None) -> Suggestion:
    return Suggestion(rule.action, rule, reason, rule.source, comparison)


def suggest(history: Sequence[WeekPoint]) -> Suggestion:
    """The suggested action for the latest check-in of ``history`` (oldest first).

    Raises:
        InstrumentInputError: ``history`` is empty or not in strictly increasing date order.
    """
    if not history:
        raise InstrumentInputError({"history": ["at least one check-in is needed."]})
    for index in range(1, len(history)):
        if history[index].on <= history[index - 1].on:
            raise InstrumentInputError(
                {f"history.{index}.on": ["check-ins must be oldest first, one per date."]}
            )
    latest = history[-1]
    if latest.red_flag or latest.urgent:
        what = "a red flag" if latest.red_flag else "an urgent score"
        return _make(ESCALATE, f"The check-in on {latest.on.isoformat()} has {what}.")
    now = _comparison_at(history, len(history) - 1)
    if now is None:
        return _make(NO_BASELINE, NO_BASELINE.description)
    if now.is_rise:
        before = _comparison_at(history, len(history) - 2) if len(history) > 1 else None
        if before is not None and before.is_rise:
            return _make(
                SLOW,
                f"Two check-ins in a row higher than before the latest dose reduction: "
                f"{before.describe()}; then {now.describe()}.",
                now,
            )
        return _make(HOLD, f"Higher than before the latest dose reduction: {now.describe()}.", now)
    return _make(CONTINUE, f"Stable or falling: {now.describe()}.", now)

"""Strategies: the planned next daily dose from the current one.

All three work on the daily diazepam-equivalent (DE). The planner applies them in the mg of
the drug being tapered by passing ``scale`` = figure / 10 (mg of that drug per mg DE), which
keeps single-drug arithmetic exact; for diazepam ``scale`` is 1.

* ``proportional`` (PROPORTIONAL_RULE): cut ``reduction_percent`` of the CURRENT actual
  dose each step, the exponential curve that flattens as the dose falls (Horowitz & Taylor,
  Lancet Psychiatry 2019; ASAM 2025 frames reductions as a share of the current daily dose).
  It never reaches 0 by itself; the planner stops once the dose is at or below the stop
  threshold. Example, 10% from diazepam 20 mg: 20, 18, 16.2, 14.58 ... (each realised to a
  makeable dose before the next cut is taken from it).
* ``linear`` (LINEAR_RULE): cut a fixed ``step_mg`` DE each step (NHS Scotland 2024
  lorazepam example: diazepam -1 mg per step). Example, 1 mg from 20 mg: 19, 18, ... 1, stop.
* ``banded`` (BANDED_RULE): the Ashton-derived CKS schedule, "reduce 2-4 mg every 1-2 weeks
  to 20 mg; then 1-2 mg to 10 mg; then 1 mg to 5 mg; then 0.5-1 mg to zero". The default
  (``lower``) profile uses the LOWER end of each range (2 / 1 / 1 / 0.5 mg), ``upper`` the
  higher end (4 / 2 / 1 / 1 mg). A cut never crosses a band floor: from 21 mg the next dose
  is 20 mg, not 19 mg.

  **The tail slows** (:func:`Strategy.planned`, BANDED_TAIL_RULE): a band's cut is at most
  ``max_reduction_percent`` (default 25%) of the current dose, rounded down to 0.1 mg DE (a
  dose the 1 mg/mL diazepam liquids measure), and the plan stops once the dose is at or below
  the stop threshold (1 mg DE; CKS "0.5-1 mg, then stop"). Without this, CKS's 1.5 -> 1
  -> 0.5 mg tail cuts 33% then 50% in one step and breaks ASAM's "should typically not
  exceed 25% every 2 weeks" on every default plan.
  Why slow rather than excuse the breach with one "sources disagree" warning: ASAM's limit is
  the app's hard guardrail and a warning that silences it is a loophole; CKS itself asks for
  "a slower reduction at lower doses", and its 1-2 week step lengths are a range, not a
  ceiling on caution. The cost: the last doses need the liquid (1.2 mg, 0.9 mg). Example,
  lower, from 40 mg (GB products, at most four tablets a dose): 39, 37, 35, 34 ... 20, 19
  ... 10, 9 ... 5, 4.5 ... 2, 1.5, 1.2, 0.9 (0.9 mL of 5 mg/5 mL: once on the liquid the
  plan stays on it, and halving a 2 mg tablet for 1 mg is off-licence), stop (36
  reductions).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Final

from schedules.engine.types import BandProfile, StrategyKind
from schedules.engine.units import HUNDRED, ONE, TENTH, ZERO

__all__ = [
    "BANDED_RULE",
    "BANDED_TAIL_RULE",
    "BANDS",
    "CUSTOM_RULE",
    "LINEAR_RULE",
    "PROPORTIONAL_RULE",
    "STRATEGY_RULES",
    "Band",
    "Strategy",
]

PROPORTIONAL_RULE: Final = {
    "rule": "proportional",
    "source": "asam-2025",
    "citation": (
        "Horowitz MA, Taylor D. Lancet Psychiatry 2019;6:538-46 (exponential tapering of "
        "benzodiazepines to very small doses); ASAM 2025: reductions of 5-10% of the current "
        "total daily dose, typically not more than 25% every 2 weeks."
    ),
}
LINEAR_RULE: Final = {
    "rule": "linear",
    "source": "nhs-scotland-2024",
    "citation": (
        "NHS Scotland 2024 reduction schedule example: lorazepam 1 mg twice daily switched to "
        "diazepam 20 mg, then reduced by 1 mg per step."
    ),
}
BANDED_TAIL_RULE: Final = {
    "rule": "banded-tail",
    "source": "cks",
    "citation": (
        "NICE CKS: withdrawal with a slower reduction at lower doses; ASAM 2025: not more than "
        "25% every 2 weeks. A banded cut is at most the 14-day limit's share of the dose."
    ),
}
BANDED_RULE: Final = {
    "rule": "banded",
    "source": "cks",
    "citation": (
        "NICE CKS (adapted from the Ashton Manual): from up to 40 mg reduce 2-4 mg every 1-2 "
        "weeks to 20 mg; then 1-2 mg to 10 mg; then 1 mg to 5 mg; then 0.5-1 mg to zero."
    ),
}
CUSTOM_RULE: Final = {
    "rule": "custom",
    "source": "taper-clinic",
    "citation": (
        "The prescriber's own daily doses (custom_steps), realised with the country's products "
        "and checked by every guardrail like any other plan."
    ),
}
STRATEGY_RULES: Final = {
    StrategyKind.PROPORTIONAL: PROPORTIONAL_RULE,
    StrategyKind.LINEAR: LINEAR_RULE,
    StrategyKind.BANDED: BANDED_RULE,
    StrategyKind.CUSTOM: CUSTOM_RULE,
}


@dataclass(frozen=True, slots=True)
class Band:
    """Above ``floor`` mg DE, cut ``lower_cut`` (or ``upper_cut``) mg per step, not below it."""

    floor: Decimal
    lower_cut: Decimal
    upper_cut: Decimal
    source: str = "cks"


#: The CKS bands, highest first.
BANDS: Final = (
    Band(Decimal(20), Decimal(2), Decimal(4)),
    Band(Decimal(10), Decimal(1), Decimal(2)),
    Band(Decimal(5), Decimal(1), Decimal(1)),
    Band(Decimal(0), Decimal("0.5"), Decimal(1)),
)


@dataclass(frozen=True, slots=True)
class Strategy:
    """A strategy with its parameters (validated by the request parser).

    Args:
        kind: proportional, linear or banded.
        reduction_percent: proportional: the share of the current dose cut per step.
        step_mg: linear: mg DE cut per step.
        band_profile: banded: lower (default) or upper end of the CKS ranges.
        max_cut_percent: banded: a cut is halved until it is at most this share of the
            current dose (the request's ``max_reduction_percent``).
    """

    kind: StrategyKind
    reduction_percent: Decimal | None = None
    step_mg: Decimal | None = None
    band_profile: BandProfile = BandProfile.LOWER
    max_cut_percent: Decimal = Decimal(25)

    def planned(self, current: Decimal, scale: Decimal = ONE) -> Decimal:
        """The planned next daily dose (may be <= 0 for linear; the planner stops there).

        Args:
            current: the current daily dose, in mg of the tapered drug.
            scale: mg of that drug per mg DE (figure / 10).

        Example:
            >>> Strategy(StrategyKind.BANDED).planned(Decimal(21))
            Decimal('20')
            >>> Strategy(StrategyKind.BANDED).planned(Decimal("1.5"))
            Decimal('1.2')
        """
        if self.kind is StrategyKind.PROPORTIONAL:
            percent = self.reduction_percent or ZERO
            return current * (HUNDRED - percent) / HUNDRED
        if self.kind is StrategyKind.LINEAR:
            return current - (self.step_mg or ZERO) * scale
        if self.kind is StrategyKind.CUSTOM:
            return current  # custom steps are given, not computed (the planner reads them)
        upper = self.band_profile is BandProfile.UPPER
        for band in BANDS:
            floor = band.floor * scale
            if current > floor:
                cut = (band.upper_cut if upper else band.lower_cut) * scale
                limit = self.max_cut_percent
                if limit > 0 and cut * HUNDRED > limit * current:
                    share = current * limit / HUNDRED
                    grain = TENTH * scale
                    rounded = (share / grain).to_integral_value(ROUND_FLOOR) * grain
                    cut = rounded if rounded > 0 else share
                planned = current - cut
                return planned if planned > floor else floor
        return ZERO

    def asked_cut(self, current: Decimal, scale: Decimal = ONE) -> Decimal:
        """How much the strategy asks to cut from ``current`` (always > 0 for current > 0)."""
        return current - self.planned(current, scale)

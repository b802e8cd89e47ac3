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
  is 20 mg, not 19 mg. Example, lower, from 40 mg: 38, 36 ... 20, 19 ... 10, 9 ... 5, 4.5 ...
  0.5, stop (35 reductions).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from schedules.engine.types import BandProfile, StrategyKind
from schedules.engine.units import HUNDRED, ONE, ZERO

__all__ = [
    "BANDED_RULE",
    "BANDS",
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
BANDED_RULE: Final = {
    "rule": "banded",
    "source": "cks",
    "citation": (
        "NICE CKS (adapted from the Ashton Manual): from up to 40 mg reduce 2-4 mg every 1-2 "
        "weeks to 20 mg; then 1-2 mg to 10 mg; then 1 mg to 5 mg; then 0.5-1 mg to zero."
    ),
}
STRATEGY_RULES: Final = {
    StrategyKind.PROPORTIONAL: PROPORTIONAL_RULE,
    StrategyKind.LINEAR: LINEAR_RULE,
    StrategyKind.BANDED: BANDED_RULE,
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
    """

    kind: StrategyKind
    reduction_percent: Decimal | None = None
    step_mg: Decimal | None = None
    band_profile: BandProfile = BandProfile.LOWER

    def planned(self, current: Decimal, scale: Decimal = ONE) -> Decimal:
        """The planned next daily dose (may be <= 0 for linear; the planner stops there).

        Args:
            current: the current daily dose, in mg of the tapered drug.
            scale: mg of that drug per mg DE (figure / 10).

        Example:
            >>> Strategy(StrategyKind.BANDED).planned(Decimal(21))
            Decimal('20')
        """
        if self.kind is StrategyKind.PROPORTIONAL:
            percent = self.reduction_percent or ZERO
            return current * (HUNDRED - percent) / HUNDRED
        if self.kind is StrategyKind.LINEAR:
            return current - (self.step_mg or ZERO) * scale
        upper = self.band_profile is BandProfile.UPPER
        for band in BANDS:
            floor = band.floor * scale
            if current > floor:
                cut = (band.upper_cut if upper else band.lower_cut) * scale
                planned = current - cut
                return planned if planned > floor else floor
        return ZERO

    def asked_cut(self, current: Decimal, scale: Decimal = ONE) -> Decimal:
        """How much the strategy asks to cut from ``current`` (always > 0 for current > 0)."""
        return current - self.planned(current, scale)

"""The planned next dose for each strategy (before realisation)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from schedules.engine import BandProfile, StrategyKind
from schedules.engine.strategies import BANDED_RULE, LINEAR_RULE, PROPORTIONAL_RULE, Strategy


def test_proportional_cuts_a_share_of_the_current_dose() -> None:
    strategy = Strategy(StrategyKind.PROPORTIONAL, reduction_percent=D(10))
    assert strategy.planned(D(20)) == D(18)
    assert strategy.planned(D(18)) == D("16.2")
    assert strategy.asked_cut(D("0.5")) == D("0.05")


def test_linear_cuts_a_fixed_equivalent_scaled_to_the_drug() -> None:
    strategy = Strategy(StrategyKind.LINEAR, step_mg=D(1))
    assert strategy.planned(D(20)) == D(19)
    # 1 mg DE of clonazepam (0.5 mg == diazepam 10 mg) is 0.05 mg clonazepam
    assert strategy.planned(D(1), scale=D("0.05")) == D("0.95")
    assert strategy.planned(D("0.5")) == D("-0.5")  # the planner stops at the target


@pytest.mark.parametrize(
    ("current", "lower", "upper"),
    [
        (D(40), D(38), D(36)),
        (D(22), D(20), D(20)),  # never below the band floor of 20 mg
        (D(21), D(20), D(20)),
        (D(20), D(19), D(18)),
        (D(11), D(10), D(10)),
        (D(10), D(9), D(9)),
        (D(6), D(5), D(5)),
        (D(5), D("4.5"), D(4)),
        # The tail slows: a cut is at most 25% of the current dose, rounded down to 0.1 mg.
        (D(3), D("2.5"), D("2.3")),
        (D(2), D("1.5"), D("1.5")),
        (D("1.5"), D("1.2"), D("1.2")),
        (D(1), D("0.8"), D("0.8")),
        (D("0.5"), D("0.4"), D("0.4")),
    ],
)
def test_banded_follows_the_cks_bands(current: D, lower: D, upper: D) -> None:
    assert Strategy(StrategyKind.BANDED).planned(current) == lower
    assert Strategy(StrategyKind.BANDED, band_profile=BandProfile.UPPER).planned(current) == upper


def test_banded_bands_scale_to_the_drug() -> None:
    # lorazepam at 1 mg == diazepam 10 mg: the 20 mg band floor is 2 mg lorazepam
    assert Strategy(StrategyKind.BANDED).planned(D("2.1"), scale=D("0.1")) == D(2)


def test_every_rule_names_its_source() -> None:
    assert PROPORTIONAL_RULE["source"] == "asam-2025"
    assert LINEAR_RULE["source"] == "nhs-scotland-2024"
    assert BANDED_RULE["source"] == "cks"

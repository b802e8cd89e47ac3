"""Two-drug plans: the engine makes no cut over ``max_reduction_percent`` on its own.

The bench cases ``GB diazepam 5 + lorazepam 1, direct 10%`` and ``US alprazolam 0.5 bd +
zolpidem 10, banded`` (``bench/cases.py``) with the shipped reference data.
"""

from __future__ import annotations

from decimal import Decimal

from schedules.engine import Phase, Plan, Reference, Slot, build_plan, parse_plan_request
from tests.schedules.engine.conftest import request_body

RULE = "max-25-percent-per-14-days"


def _plan(reference: Reference, **changes: object) -> Plan:
    return build_plan(parse_plan_request(request_body(**changes), reference), reference)


def test_switch_keeps_the_night_dose_high_enough_to_drop_the_morning_within_25_percent(
    data_ref: Reference,
) -> None:
    """Alprazolam 0.5 mg morning and midday + zolpidem 10 mg at night, switched to diazepam,
    banded, US. Before the fix the tablet sharing cut the night to 2.5 mg while the morning
    still had 2.5 mg; the morning then went to its 1 mg floor and its drop (3.5 -> 2.5 mg) was
    a 28.6% cut. Now the morning is cut and dropped while the night still holds 3.5 mg."""
    plan = _plan(
        data_ref,
        regimen=[
            {"drug": "alprazolam", "doses": {"morning": "0.5", "midday": "0.5"}},
            {"drug": "zolpidem", "doses": {"night": "10"}},
        ],
        strategy="banded",
        country="US",
        switch_to_diazepam=True,
    )
    assert [v for v in plan.violations if v.rule == RULE] == []
    assert all(
        step.reduction_percent <= 25
        for step in plan.steps
        if step.phase is Phase.TAPER  # the stop from 0.9 mg is the exempt final stop
    )
    drop = next(
        step
        for step in plan.steps
        if step.phase is Phase.TAPER and {d.slot for d in step.doses} == {Slot.NIGHT}
    )
    before = plan.steps[drop.index - 2]
    assert {(d.slot, d.mg) for d in before.doses} == {
        (Slot.MORNING, Decimal("1.0")),
        (Slot.NIGHT, Decimal("3.5")),
    }
    assert drop.reduction_percent == Decimal("22.2")


def test_lorazepam_stop_beside_diazepam_is_the_only_over_limit_cut_and_is_forced(
    data_ref: Reference,
) -> None:
    """Diazepam 5 mg morning + lorazepam 1 mg night, direct, 10% / 2 weeks, GB. Lorazepam is
    tapered first (shorter-acting) down to 0.2 mg (0.2 mL of 1 mg/mL, the smallest dose the
    products make = 2 mg DE); its stop beside 5 mg diazepam is 2 / 7 = 28.6%. With diazepam
    never raised in a direct taper no order does better (the stop is 2 mg DE of at most
    5 + 2 mg DE), so the engine cannot avoid it: it lengthens the step before it
    (step-lengthened), reports the violation and offers the switch to diazepam."""
    plan = _plan(
        data_ref,
        regimen=[
            {"drug": "diazepam", "doses": {"morning": "5"}},
            {"drug": "lorazepam", "doses": {"night": "1"}},
        ],
    )
    over = [v.step for v in plan.violations if v.rule == RULE]
    assert len(over) == 1
    step = plan.steps[over[0] - 1]
    before = plan.steps[over[0] - 2]
    assert {(d.drug, d.mg) for d in before.doses} == {
        ("diazepam", Decimal("5")),
        ("lorazepam", Decimal("0.2")),
    }
    assert {(d.drug, d.mg) for d in step.doses} == {("diazepam", Decimal("5"))}
    rules = {(w.rule, w.step) for w in plan.warnings}
    assert ("step-lengthened", before.index) in rules
    assert ("consider-switch-to-diazepam", None) in rules

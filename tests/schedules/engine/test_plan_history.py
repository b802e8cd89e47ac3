"""A plan depends on its request alone, never on the plans the process built before it.

Formularies are shared by every plan of a process (cached per product set), and each keeps a
memo of one-drug tapers. The memo's key used to leave out ``max_reduction_percent``, which
caps a banded cut and guards the slot sharing: the banded plan below at a 10% limit, built
after the same request at 25%, replayed the 25% plan's 1 mg cuts (diazepam night 9 -> 8 mg,
11.1% at step 14, then 12.5% and 14.3%). Built first, it cuts 9 -> 8.1 mg. Invariant (10) in
the general property test found it; the same history made
``test_cks_diazepam_40mg_bands[upper-14]`` fail or pass with the order of the tests.

The plan's issues are also remembered per reference, keyed by the whole request without its
start date: the variants below include holds and edits, which change them.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from typing import Any

import pytest

from schedules.engine import (
    DIAZEPAM,
    Phase,
    Plan,
    PlanRequest,
    Reference,
    Slot,
    build_plan,
    parse_plan_request,
)
from tests.schedules.engine.checks import check_all, check_no_avoidable_over_limit_cut
from tests.schedules.engine.conftest import forget_tapers

RULE = "max-25-percent-per-14-days"

#: The general property's failing example (bench reference ``references()[0]``).
BODY: dict[str, Any] = {
    "regimen": [
        {"drug": "lorazepam", "doses": {"morning": "1", "night": "0.5"}},
        {"drug": "diazepam", "doses": {"night": "5"}},
    ],
    "strategy": "banded",
    "interval_days": 28,
    "switch_to_diazepam": True,
    "target_mg": "0",
    "equivalence_source": "who-2009",
    "country": "GB",
    "start_date": "2027-01-04",
    "max_reduction_percent": "10",
    "stop_threshold_mg": "0.5",
    "crossover_pace": "chosen",
    "band_profile": "lower",
}


@pytest.fixture(params=["shipped", "in-code"])
def reference(request: pytest.FixtureRequest, data_ref: Reference, ref: Reference) -> Reference:
    return data_ref if request.param == "shipped" else ref


def _build(reference: Reference, body: dict[str, Any]) -> tuple[PlanRequest, Plan]:
    request = parse_plan_request(json.loads(json.dumps(body)), reference)
    return request, build_plan(request, reference)


def _nights(plan: Plan) -> list[D]:
    return [
        dose.mg
        for step in plan.steps
        for dose in step.doses
        if dose.drug == DIAZEPAM and dose.slot is Slot.NIGHT and step.phase is Phase.TAPER
    ]


def test_a_10_percent_banded_plan_after_its_25_percent_twin_cuts_within_10_percent(
    reference: Reference,
) -> None:
    _build(reference, {**BODY, "max_reduction_percent": "25"})  # what the property built first
    request, plan = _build(reference, BODY)

    nights = _nights(plan)
    after_nine = nights[nights.index(D(9)) + 1]
    assert after_nine == D("8.1")  # 10% of 9 mg; 8 mg would be 11.1%
    step = next(s for s in plan.steps if any(d.mg == after_nine for d in s.doses))
    assert step.reduction_percent == D(10)
    # on the one liquid from the first dose tablets could not make (GB 5 mg/5 mL)
    assert [(u.count, u.unit) for u in step.doses[0].units] == [(D("8.1"), "mL")]
    check_all(plan, request, reference)
    check_no_avoidable_over_limit_cut(plan, request, reference)
    # Over 10% only below 1 mg, where a 0.1 mL mark (0.1 mg) is more than 10% of the dose:
    # each such cut is reported for the prescriber's override, and the step before it is
    # lengthened so the average pace stays within what was asked.
    over = [s for s in plan.steps if s.phase is Phase.TAPER and s.reduction_percent > 10]
    assert over, "the sub-milligram tail is where the products force a larger cut"
    reported = {v.step for v in plan.violations if v.rule == RULE}
    for s in over:
        before = plan.steps[s.index - 2]
        assert before.equivalent_mg < 1
        assert s.index in reported
        assert before.days == 2 * request.interval_days


def test_the_same_request_gives_the_same_plan_whatever_was_built_before(
    reference: Reference,
) -> None:
    """Variants of the body that change one input each of the taper loop: the plan built
    after all the others (in either order) equals the plan built first."""
    variants = [
        BODY,
        {**BODY, "max_reduction_percent": "25"},
        {**BODY, "max_reduction_percent": "20"},
        {**BODY, "band_profile": "upper"},
        {**BODY, "band_profile": "upper", "max_reduction_percent": "25"},
        {**BODY, "stop_threshold_mg": "1"},
        {**BODY, "interval_days": 14},
        {**BODY, "strategy": "proportional", "reduction_percent": "10"},
        {**BODY, "strategy": "proportional", "reduction_percent": "10", "target_mg": "2"},
        {**BODY, "holds": [{"step": 3, "days": 70}]},
        {**BODY, "edits": [{"index": 4, "days": 63}]},
        {**BODY, "regimen": [{"drug": "diazepam", "doses": {"morning": "20", "night": "20"}}]},
        {
            **BODY,
            "regimen": [{"drug": "diazepam", "doses": {"morning": "20", "night": "20"}}],
            "max_reduction_percent": "25",
            "band_profile": "upper",
            "interval_days": 14,
        },
    ]
    alone = []
    for body in variants:
        forget_tapers(reference)
        alone.append(json.dumps(_build(reference, body)[1].to_dict()))
    assert len(set(alone)) == len(variants), "each variant changes the plan"
    for order in (variants, variants[::-1]):
        forget_tapers(reference)
        built = {}
        for body in order:
            built[json.dumps(body)] = json.dumps(_build(reference, body)[1].to_dict())
        assert [built[json.dumps(body)] for body in variants] == alone


def test_another_start_date_moves_the_dates_and_nothing_else(reference: Reference) -> None:
    """The issues of a request are looked up when only its start date differs (no guardrail
    reads a date): the steps are re-dated, the issues and the review follow."""
    _, first = _build(reference, BODY)
    _, later = _build(reference, {**BODY, "start_date": "2027-03-01"})
    shift = later.steps[0].start_date - first.steps[0].start_date
    assert shift.days == 56
    assert [s.start_date - shift for s in later.steps] == [s.start_date for s in first.steps]
    assert [s.doses for s in later.steps] == [s.doses for s in first.steps]
    assert later.violations == first.violations and later.warnings == first.warnings
    assert [r.date - shift for r in later.reviews] == [r.date for r in first.reviews]
    assert later.reviews
    forget_tapers(reference)
    reference.cache.clear()  # nothing remembered: the same plan again
    assert _build(reference, {**BODY, "start_date": "2027-03-01"})[1] == later

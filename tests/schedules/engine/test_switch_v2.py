"""Engine v2 (issue 9): the switch to diazepam follows the prescriber's pace.

Default ``crossover_pace: "chosen"``: equivalence-preserving, one slot a week, night first;
reductions start after it at the chosen pace. ``"ashton"``: Ashton's 10 mg DE stages, named,
each stage's cut shown. The endpoint depends on the daily dose, not its split. A review is
dated 5-7 days after the switch (SCOT).
"""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.engine import (
    DIAZEPAM,
    Phase,
    Plan,
    PlanRequest,
    Reference,
    build_plan,
    parse_plan_request,
)
from schedules.engine.formulations import get_formulary
from schedules.engine.units import fmt
from tests.schedules.engine.checks import asked_cut, check_all
from tests.schedules.engine.conftest import request_body
from tests.schedules.engine.refdata import make_reference


def build(reference: Reference, **changes: Any) -> tuple[PlanRequest, Plan]:
    request = parse_plan_request(request_body(**changes), reference)
    plan = build_plan(request, reference)
    check_all(plan, request, reference)
    return request, plan


def switch(
    reference: Reference, doses: dict[str, str], drug: str = "alprazolam", **kw: Any
) -> Plan:
    return build(
        reference, regimen=[{"drug": drug, "doses": doses}], switch_to_diazepam=True, **kw
    )[1]


def crossover(plan: Plan) -> list[Any]:
    return [s for s in plan.steps if s.phase is Phase.CROSSOVER]


def regimen_of(step: Any) -> list[tuple[str, str, str]]:
    return [(dose.slot.value, dose.drug, fmt(dose.mg)) for dose in step.doses]


# -- the chosen pace ----------------------------------------------------------------------------


def test_alprazolam_2mg_at_night_is_not_cut_44_percent_by_day_28(ref: Reference) -> None:
    """Before: 40 -> 30 -> 22.5 mg DE by day 28 with no violation. Now the switch keeps 40 mg
    and the 10% / 14-day pace starts after it."""
    plan = switch(ref, {"night": "2"})
    assert crossover(plan)[-1].equivalent_mg == 40
    first_28_days = [s for s in plan.steps if (s.start_date - plan.steps[0].start_date).days < 28]
    assert min(s.equivalent_exact for s in first_28_days) >= D(36)  # one 10% cut at most
    previous = plan.start_equivalent_mg
    for step in plan.steps[:-1]:
        assert (previous - step.equivalent_exact) * 100 <= 10 * previous, step.index
        previous = step.equivalent_exact


@pytest.mark.parametrize("which", ["ref", "data_ref"])
def test_alprazolam_2mg_tds_at_5_percent_every_28_days_never_cuts_faster(
    which: str, request: pytest.FixtureRequest
) -> None:
    """Before: the switch still cut 8-17% every 14 days. Now no reduction exceeds 5% of the
    dose per 28 days, during or after the switch."""
    reference = request.getfixturevalue(which)
    _, plan = build(
        reference,
        regimen=[{"drug": "alprazolam", "doses": {"morning": "2", "midday": "2", "night": "2"}}],
        switch_to_diazepam=True,
        reduction_percent="5",
        interval_days=28,
    )
    stages = crossover(plan)
    assert {s.equivalent_mg for s in stages} == {D(120)}
    assert [s.days for s in stages[:-1]] == [7] * (len(stages) - 1)
    # Per 28 days: near the end a 5% cut is smaller than the liquid's finest measure (0.1 mL
    # of diazepam 5 mg/5 mL = 0.1 mg, the one liquid chosen up front), so the step before a
    # 0.1 mg cut is lengthened to keep the average pace (step-lengthened warning): 1.9 -> 1.8
    # mg after 56 days is 2.6% per 28 days. The switch and the bulk of the taper need none.
    previous = plan.start_equivalent_mg
    days = 28
    for step in plan.steps[:-1]:
        cut = previous - step.equivalent_exact
        assert cut * 100 * 28 <= 5 * previous * days, step.index
        if days > 28:
            assert previous < 2, step.index  # lengthened only where 5% < 0.1 mg
        previous = step.equivalent_exact
        days = step.days
    lengthened = {w.step for w in plan.warnings if w.rule == "step-lengthened"}
    assert lengthened == {s.index for s in plan.steps if s.phase is Phase.TAPER and s.days > 28}
    assert not plan.violations


def test_chosen_pace_swaps_one_slot_a_week_night_first(ref: Reference) -> None:
    plan = switch(ref, {"morning": "1", "midday": "1", "night": "1"}, drug="lorazepam")
    stages = crossover(plan)
    assert regimen_of(stages[0]) == [
        ("morning", "lorazepam", "1"),
        ("midday", "lorazepam", "1"),
        ("night", "diazepam", "10"),
    ]
    assert regimen_of(stages[1]) == [
        ("morning", "diazepam", "10"),
        ("midday", "lorazepam", "1"),
        ("night", "diazepam", "10"),
    ]
    assert regimen_of(stages[2]) == [
        ("morning", "diazepam", "10"),
        ("midday", "diazepam", "10"),
        ("night", "diazepam", "10"),
    ]
    assert regimen_of(stages[3]) == [("morning", "diazepam", "15"), ("night", "diazepam", "15")]
    assert [s.days for s in stages] == [7, 7, 7, 14]


def test_the_switch_uses_the_chosen_sources_equivalence(ref: Reference) -> None:
    """Lorazepam 2 mg a day: 20 mg diazepam at Ashton (1 mg), 10 mg at VA/DoD (2 mg)."""
    ashton = switch(ref, {"morning": "1", "night": "1"}, drug="lorazepam")
    va = switch(
        ref, {"morning": "1", "night": "1"}, drug="lorazepam", equivalence_source="va-dod-2021"
    )
    assert crossover(ashton)[-1].equivalent_mg == 20
    assert crossover(va)[-1].equivalent_mg == 10


# -- the endpoint depends on the daily dose, not its split ---------------------------------------

ALPRAZOLAM_2MG_SPLITS = [
    {"morning": "0.5", "midday": "0.5", "evening": "0.5", "night": "0.5"},
    {"morning": "1", "night": "1"},
    {"night": "2"},
    {"morning": "0.5", "night": "1.5"},
]


@pytest.mark.parametrize("pace", ["chosen", "ashton"])
@pytest.mark.parametrize("doses", ALPRAZOLAM_2MG_SPLITS)
def test_alprazolam_2mg_a_day_ends_on_diazepam_40mg_whatever_the_split(
    ref: Reference, pace: str, doses: dict[str, str]
) -> None:
    """Before: 40 mg (0.5 mg qds) but 22.5 mg (2 mg nocte)."""
    plan = switch(ref, doses, crossover_pace=pace)
    end = crossover(plan)[-1]
    assert {d.drug for d in end.doses} == {DIAZEPAM}
    assert end.equivalent_mg == 40


@pytest.mark.parametrize(
    "doses",
    [
        {"night": "6"},
        {"morning": "3", "night": "3"},
        {"morning": "2", "midday": "2", "night": "2"},
        {"morning": "1.5", "midday": "1.5", "evening": "1.5", "night": "1.5"},
    ],
)
def test_ashton_pace_endpoint_above_the_cap_depends_on_the_dose_only(
    ref: Reference, doses: dict[str, str]
) -> None:
    """Alprazolam 6 mg a day (120 mg DE): diazepam 50 mg, as Ashton Schedule 1, every split."""
    plan = switch(ref, doses, crossover_pace="ashton")
    assert crossover(plan)[-1].equivalent_mg == 50


# -- the ashton pace: named, each stage's cut shown ---------------------------------------------


def test_ashton_pace_is_named_and_each_stage_cut_is_shown(ref: Reference) -> None:
    plan = switch(
        ref,
        {"morning": "2", "midday": "2", "night": "2"},
        crossover_pace="ashton",
        strategy="banded",
    )
    named = [w for w in plan.warnings if w.rule == "ashton-crossover-pace"]
    assert len(named) == 1 and named[0].step is None
    assert "Ashton's schedule pace" in named[0].message and "58.3% lower" in named[0].message
    stages = {w.step: w.message for w in plan.warnings if w.rule == "ashton-crossover-stage"}
    assert sorted(stages) == [5, 6, 7, 8, 9, 10, 11]
    assert "from 120 mg to 110 mg, a 8.3% cut, for 14 days" in stages[5]
    assert "from 60 mg to 50 mg, a 16.7% cut" in stages[11]
    assert all(w.source == "Ashton Manual" for w in plan.warnings if w.rule.startswith("ashton"))


def test_chosen_pace_is_not_labelled_ashton(ref: Reference) -> None:
    plan = switch(ref, {"morning": "2", "midday": "2", "night": "2"})
    assert not [w for w in plan.warnings if w.rule.startswith("ashton")]
    high = [w for w in plan.warnings if w.rule == "diazepam-above-40-mg-after-switch"]
    assert len(high) == 1 and "diazepam 120 mg" in high[0].message


# -- the review after the switch ----------------------------------------------------------------


def test_a_review_is_dated_7_days_after_the_switch(ref: Reference) -> None:
    """SCOT: review progress and tolerance 5-7 days after the switch to diazepam."""
    plan = switch(
        ref,
        {"morning": "1", "night": "1"},
        drug="lorazepam",
        strategy="linear",
        step_mg="1",
        equivalence_source="nhs-scotland-2024",
    )
    on_diazepam = plan.steps[1]  # SCOT step 2: diazepam 10 + 10
    assert on_diazepam.start_date == datetime.date(2027, 1, 11)
    assert len(plan.reviews) == 1
    review = plan.reviews[0].to_dict()
    assert review["date"] == "2027-01-18"
    assert review["source"] == "NHS Scotland 2024"
    assert "5 to 7 days" in review["reason"]
    assert plan.to_dict()["reviews"] == [review]
    assert plan.steps[1].start_date < plan.reviews[0].date <= plan.steps[1].end_date


def test_a_hold_during_the_switch_moves_the_review(ref: Reference) -> None:
    body = request_body(
        regimen=[{"drug": "lorazepam", "doses": {"morning": "1", "night": "1"}}],
        switch_to_diazepam=True,
        holds=[{"step": 1, "days": 7}],
    )
    plan = build_plan(parse_plan_request(body, ref), ref)
    assert plan.steps[1].phase is Phase.HOLD
    assert plan.steps[2].start_date == datetime.date(2027, 1, 18)  # on diazepam alone
    assert [r.date for r in plan.reviews] == [datetime.date(2027, 1, 25)]


def test_a_direct_taper_has_no_switch_review(ref: Reference) -> None:
    _, plan = build(ref)
    assert plan.reviews == () and plan.to_dict()["reviews"] == []


# -- properties ----------------------------------------------------------------------------------

DRUG_DOSES = {
    "alprazolam": ["0.5", "1", "1.5", "2", "3"],
    "lorazepam": ["1", "2", "3", "4"],
    "clonazepam": ["0.5", "1", "1.5", "2"],
    "temazepam": ["10", "20", "30", "40"],
    "oxazepam": ["10", "30", "45"],
}
SPLITS = [
    ("night",),
    ("morning", "night"),
    ("morning", "midday", "night"),
    ("morning", "midday", "evening", "night"),
]


@functools.cache
def _reference() -> Reference:
    return make_reference()


@functools.cache
def _diazepam_gap(country: str, top: D) -> D:
    """The largest gap between consecutive makeable diazepam doses up to ``top``."""
    formulary = get_formulary(_reference(), DIAZEPAM, country)
    gap, value = D(0), D(0)
    while value < top:
        following = formulary.ceil(value + D("1E-9"))
        if following is None:
            break
        gap, value = max(gap, following - value), following
    return gap


def _split(drug: str, daily: D, slots: tuple[str, ...], country: str) -> dict[str, str] | None:
    """``daily`` mg shared over ``slots`` in makeable doses (night gets the remainder)."""
    formulary = get_formulary(_reference(), drug, country)
    share = formulary.floor(daily / len(slots))
    doses = dict.fromkeys(slots[:-1], share)
    doses[slots[-1]] = daily - share * (len(slots) - 1)
    if any(mg <= 0 or not formulary.is_makeable(mg) for mg in doses.values()):
        return None
    return {slot: str(mg) for slot, mg in doses.items()}


@settings(max_examples=40, deadline=None)
@given(
    drug=st.sampled_from(sorted(DRUG_DOSES)),
    dose_n=st.integers(0, 4),
    split_a=st.integers(0, 3),
    split_b=st.integers(0, 3),
    country=st.sampled_from(["GB", "US"]),
    percent=st.sampled_from(["5", "10", "20"]),
    interval=st.sampled_from([7, 14, 28]),
    source=st.sampled_from(["ashton-2007", "va-dod-2021"]),
)
def test_the_switch_never_cuts_faster_than_chosen_and_ends_on_the_same_dose(
    drug: str,
    dose_n: int,
    split_a: int,
    split_b: int,
    country: str,
    percent: str,
    interval: int,
    source: str,
) -> None:
    reference = _reference()
    if not reference.products_for(drug, country) or reference.figure(drug, source) is None:
        return
    daily = D(DRUG_DOSES[drug][dose_n % len(DRUG_DOSES[drug])])
    ends = []
    for split in (SPLITS[split_a], SPLITS[split_b]):
        doses = _split(drug, daily, split, country)
        if doses is None:
            return
        request, plan = build(
            reference,
            regimen=[{"drug": drug, "doses": doses}],
            switch_to_diazepam=True,
            country=country,
            equivalence_source=source,
            reduction_percent=percent,
            interval_days=interval,
        )
        # "One makeable step of rounding": the widest gap between diazepam doses.
        gap = _diazepam_gap(country, plan.start_equivalent_mg + 1)
        previous, previous_days = _start_exact(request, reference), interval
        for step in plan.steps:
            if step.phase is Phase.STOP:
                break
            cut = previous - step.equivalent_exact
            allowed = asked_cut(request, previous) * max(previous_days, interval) / interval
            assert cut <= allowed + gap, (step.index, cut, allowed, gap)
            previous, previous_days = step.equivalent_exact, step.days
        ends.append(crossover(plan)[-1].equivalent_exact)
    assert ends[0] == ends[1]


def _start_exact(request: PlanRequest, reference: Reference) -> D:
    total = D(0)
    for entry in request.regimen:
        figure = reference.figure(entry.drug, request.equivalence_source)
        assert figure is not None
        total += entry.daily_mg * 10 / figure.mg
    return total

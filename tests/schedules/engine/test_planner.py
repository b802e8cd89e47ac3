"""The planner: baseline, realisation rule, the end, edits, holds, output shape."""

from __future__ import annotations

import datetime
import itertools
import json
from decimal import Decimal as D
from typing import Any

import pytest

from schedules.engine import (
    ALGORITHM_VERSION,
    Phase,
    Plan,
    PlanInputError,
    Reference,
    build_plan,
    parse_plan_request,
    plan_from_data,
)
from schedules.engine.units import fmt
from tests.schedules.engine.checks import check_all
from tests.schedules.engine.conftest import request_body


def build(reference: Reference, **changes: Any) -> Plan:
    request = parse_plan_request(request_body(**changes), reference)
    plan = build_plan(request, reference)
    if not request.edits and not request.holds:
        check_all(plan, request, reference)
    return plan


def errors_of(reference: Reference, **changes: Any) -> dict[str, list[str]]:
    with pytest.raises(PlanInputError) as caught:
        build(reference, **changes)
    return caught.value.errors


def doses(plan: Plan, index: int) -> list[tuple[str, str, str]]:
    return [(d.slot.value, d.drug, fmt(d.mg)) for d in plan.steps[index - 1].doses]


def test_a_direct_taper_starts_with_a_baseline_step(ref: Reference) -> None:
    plan = build(ref, regimen=[{"drug": "diazepam", "doses": {"night": "20"}}])
    first, second = plan.steps[0], plan.steps[1]
    assert first.phase is Phase.TAPER and first.reduction_percent == 0
    assert doses(plan, 1) == [("night", "diazepam", "20")]
    assert first.days == 14 and first.start_date == datetime.date(2027, 1, 4)
    # 18 mg needs five GB tablets (at most four per dose, issue 9): 19 mg cuts over half
    assert doses(plan, 2) == [("night", "diazepam", "19")]
    assert second.reduction_percent == 5


def test_proportional_cuts_the_current_actual_dose_never_more_than_asked(ref: Reference) -> None:
    """10% of each realised dose, rounded UP to a makeable dose (never a bigger cut).

    Tablets are preferred while they still cut at least half of what was asked; the liquid
    takes over, once and for good, when tablets are too coarse
    (formulations.Formulary.next_dose).
    """
    plan = build(ref, regimen=[{"drug": "diazepam", "doses": {"night": "20"}}], country="GB")
    values = [s.equivalent_mg for s in plan.steps]
    # 18 mg needs five tablets (at most four, issue 9): 19 mg cuts 1 of the 2 asked (half).
    # 19 * 0.9 = 17.1: no tablet dose in [17.1, 19), so 10 mg + 7.1 mL of 5 mg/5 mL.
    assert values[:3] == [D(20), D(19), D("17.1")]
    assert doses(plan, 3) == [("night", "diazepam", "17.1")]
    for step in plan.steps[2:-1]:  # on the liquid from step 3 to the end
        assert all(any(u.unit == "mL" for u in dose.units) for dose in step.doses)
    for before, after in itertools.pairwise(values):
        if after > 0:
            assert before - after <= before * D("0.1")


def test_the_stop_follows_the_threshold_for_proportional(ref: Reference) -> None:
    plan = build(ref, regimen=[{"drug": "diazepam", "doses": {"night": "2"}}])
    assert plan.steps[-2].equivalent_mg <= 1
    assert all(s.equivalent_mg > 1 for s in plan.steps[:-2])
    stop = plan.steps[-1]
    assert stop.phase is Phase.STOP and stop.doses == () and stop.days == 0
    before = plan.steps[-2]
    assert stop.start_date == stop.end_date == before.end_date + datetime.timedelta(days=1)
    assert stop.reduction_percent == 100
    higher = build(
        ref, regimen=[{"drug": "diazepam", "doses": {"night": "2"}}], stop_threshold_mg="2"
    )
    assert len(higher.steps) == 2  # 2 mg is at the threshold already: baseline, then stop


def test_coarse_products_lengthen_the_previous_step(ref: Reference) -> None:
    """Zopiclone 7.5 mg tablets only (country XX), 10% asked (1.5 mg of 15 mg): the next
    makeable dose is 7.5 mg, 5 times the asked cut, so the baseline lasts 5 intervals."""
    plan = build(
        ref,
        regimen=[{"drug": "zopiclone", "doses": {"morning": "7.5", "night": "7.5"}}],
        country="XX",
        interval_days=14,
    )
    assert plan.steps[0].days == 5 * 14
    assert doses(plan, 2) == [("night", "zopiclone", "7.5")]
    # then 7.5 -> 0 is 10 times the asked 0.75 mg
    assert plan.steps[1].days == 10 * 14
    assert plan.steps[2].phase is Phase.STOP
    assert ("step-lengthened", 1) in [(w.rule, w.step) for w in plan.warnings]
    assert ("step-lengthened", 2) in [(w.rule, w.step) for w in plan.warnings]
    # the stop from 5 mg DE is not the exempt final stop: it breaks the 25% rule
    assert [(v.rule, v.step) for v in plan.violations] == [
        ("max-25-percent-per-14-days", 2),
        ("max-25-percent-per-14-days", 3),
    ]


def test_daytime_doses_are_reduced_before_the_night_dose(ref: Reference) -> None:
    plan = build(
        ref,
        regimen=[
            {
                "drug": "diazepam",
                "doses": {"morning": "2", "midday": "2", "evening": "2", "night": "2"},
            }
        ],
        strategy="linear",
        step_mg="1",
    )
    seen = [tuple(slot for slot, _, _ in doses(plan, n)) for n in range(1, len(plan.steps))]
    assert seen[:3] == [
        ("morning", "midday", "evening", "night"),
        ("morning", "midday", "evening", "night"),  # midday 1 mg
        ("morning", "evening", "night"),  # midday gone
    ]
    order_gone = []
    for before, after in itertools.pairwise(seen):
        order_gone.extend(slot for slot in before if slot not in after)
    assert order_gone == ["midday", "morning", "evening"]


def test_a_target_above_zero_ends_on_a_maintenance_step(ref: Reference) -> None:
    plan = build(ref, regimen=[{"drug": "diazepam", "doses": {"night": "20"}}], target_mg="5")
    last = plan.steps[-1]
    assert last.phase is Phase.TAPER and last.equivalent_mg == 5 and last.days == 14
    assert not any(s.phase is Phase.STOP for s in plan.steps)


def test_linear_goes_to_the_target_when_the_next_dose_would_pass_it(ref: Reference) -> None:
    plan = build(
        ref,
        regimen=[{"drug": "diazepam", "doses": {"night": "10"}}],
        strategy="linear",
        step_mg="3",
        target_mg="2",
    )
    assert [s.equivalent_mg for s in plan.steps] == [D(10), D(7), D(4), D(2)]


def test_a_target_the_products_cannot_make_is_an_input_error(ref: Reference) -> None:
    errors = errors_of(
        ref,
        regimen=[{"drug": "zopiclone", "doses": {"night": "15"}}],
        country="XX",
        target_mg="2",
    )
    assert list(errors) == ["target_mg"]
    message = errors["target_mg"][0]
    assert "cannot be made from XX zopiclone products" in message
    assert "nearest makeable: 5 mg" in message


def test_switching_with_a_target_stops_the_crossover_at_the_target(ref: Reference) -> None:
    plan = build(
        ref,
        regimen=[{"drug": "alprazolam", "doses": {"morning": "2", "midday": "2", "night": "2"}}],
        switch_to_diazepam=True,
        strategy="banded",
        target_mg="80",
    )
    assert plan.steps[-1].equivalent_mg == 80
    assert all(s.equivalent_mg >= 80 for s in plan.steps)


def test_a_too_long_plan_asks_for_a_bigger_reduction(ref: Reference) -> None:
    errors = errors_of(
        ref,
        regimen=[{"drug": "diazepam", "doses": {"night": "40"}}],
        reduction_percent="0.5",
    )
    assert list(errors) == ["reduction_percent"]
    assert "more than 400 steps or 10 years" in errors["reduction_percent"][0]
    errors = errors_of(
        ref,
        regimen=[{"drug": "diazepam", "doses": {"night": "40"}}],
        strategy="linear",
        step_mg="0.1",
    )
    assert list(errors) == ["step_mg"]


def test_the_json_shape_is_the_design_contract(ref: Reference) -> None:
    body = request_body(
        regimen=[{"drug": "alprazolam", "doses": {"morning": "1", "midday": "1", "night": "1"}}],
        switch_to_diazepam=True,
        crossover_pace="ashton",
    )
    data = plan_from_data(body, ref).to_dict()
    json.dumps(data)  # serialisable as it is
    assert set(data) == {
        "algorithm_version",
        "start_equivalent_mg",
        "equivalence",
        "steps",
        "violations",
        "warnings",
        "total_days",
        "reviews",
    }
    assert data["algorithm_version"] == ALGORITHM_VERSION
    assert data["start_equivalent_mg"] == "60"
    assert set(data["equivalence"]) == {"source", "range_note", "figures"}
    step = data["steps"][0]
    assert step == {
        "index": 1,
        "start_date": "2027-01-04",
        "end_date": "2027-01-10",
        "days": 7,
        "equivalent_mg": "60",
        "reduction_percent": "0",
        "phase": "crossover",
        "doses": [
            {
                "slot": "morning",
                "drug": "alprazolam",
                "mg": "1",
                "units": [
                    {
                        "product": "alprazolam-1mg-tablet",
                        "count": "1",
                        "unit": "tablet",
                        "strength_mg": "1",
                    }
                ],
            },
            {
                "slot": "midday",
                "drug": "alprazolam",
                "mg": "1",
                "units": [
                    {
                        "product": "alprazolam-1mg-tablet",
                        "count": "1",
                        "unit": "tablet",
                        "strength_mg": "1",
                    }
                ],
            },
            {
                "slot": "night",
                "drug": "alprazolam",
                "mg": "0.5",
                "units": [
                    {
                        "product": "alprazolam-0-5mg-tablet",
                        "count": "1",
                        "unit": "tablet",
                        "strength_mg": "0.5",
                    }
                ],
            },
            {
                "slot": "night",
                "drug": "diazepam",
                "mg": "10",
                "units": [
                    {
                        "product": "diazepam-10mg-tablet",
                        "count": "1",
                        "unit": "tablet",
                        "strength_mg": "10",
                    }
                ],
            },
        ],
    }
    for issue in data["violations"] + data["warnings"]:
        assert set(issue) == {"rule", "step", "message", "source"}
    assert data["total_days"] == sum(s["days"] for s in data["steps"])
    for step in data["steps"]:
        for field in ("equivalent_mg", "reduction_percent"):
            assert "E" not in step[field] and not ("." in step[field] and step[field].endswith("0"))


def test_the_same_request_gives_the_same_plan(ref: Reference) -> None:
    body = request_body(
        regimen=[
            {"drug": "clonazepam", "doses": {"morning": "0.5", "midday": "0.5"}},
            {"drug": "zolpidem", "doses": {"night": "10"}},
        ],
        switch_to_diazepam=True,
        equivalence_source="nhs-scotland-2024",
    )
    assert plan_from_data(body, ref) == plan_from_data(json.loads(json.dumps(body)), ref)


# -- edits ------------------------------------------------------------------------------------


def test_an_edit_changes_days_and_later_steps_shift(ref: Reference) -> None:
    plain = build(ref)
    edited = build(ref, edits=[{"index": 2, "days": 21}])
    assert edited.steps[1].days == 21
    assert edited.steps[2].start_date == plain.steps[2].start_date + datetime.timedelta(days=7)
    assert [s.equivalent_mg for s in edited.steps] == [s.equivalent_mg for s in plain.steps]
    assert edited.total_days == plain.total_days + 7


def test_an_edit_that_raises_the_dose_is_reported(ref: Reference) -> None:
    plain = build(ref)
    edited = build(ref, edits=[{"index": 4, "doses": {"night": "10", "morning": "10"}}])
    assert edited.steps[3].equivalent_mg == 20
    # later steps are not recomputed
    assert edited.steps[4].doses == plain.steps[4].doses
    assert ("no-increase-outside-crossover", 4) in [(v.rule, v.step) for v in edited.violations]


def test_a_return_to_the_previous_dose_is_a_warning(ref: Reference) -> None:
    edited = build(
        ref,
        edits=[
            {"index": 4, "doses": {"morning": "8.2", "night": "10"}, "return_to_previous": True}
        ],
    )
    assert not [v for v in edited.violations if v.rule == "no-increase-outside-crossover"]
    assert ("return-to-previous-dose", 4) in [(w.rule, w.step) for w in edited.warnings]


def test_edited_doses_must_be_makeable(ref: Reference) -> None:
    errors = errors_of(ref, edits=[{"index": 3, "doses": {"night": "0.05"}}])
    assert list(errors) == ["edits.0.doses.night"]
    assert (
        "Diazepam 0.05 mg cannot be made from GB products; nearest makeable: 0.2 mg"
        in (errors["edits.0.doses.night"][0])
    )


def test_edits_must_fit_the_plan(ref: Reference) -> None:
    plan = build(ref)
    count = len(plan.steps)
    errors = errors_of(ref, edits=[{"index": count + 1, "days": 7}])
    assert errors == {
        "edits.0.index": [f"There is no step {count + 1}; this plan has {count} steps."]
    }
    errors = errors_of(ref, edits=[{"index": count, "days": 7}])
    assert "stop step" in errors["edits.0"][0]
    errors = errors_of(ref, edits=[{"index": 2, "doses": {"night": "0", "morning": "0"}}])
    assert "at least one dose" in errors["edits.0.doses"][0]
    errors = errors_of(ref, edits=[{"index": 2, "doses": {"night": "1"}, "drug": "lorazepam"}])
    assert "not a drug of this plan" in errors["edits.0.drug"][0]


def test_editing_a_two_drug_step_names_the_drug(ref: Reference) -> None:
    changes = {
        "regimen": [{"drug": "alprazolam", "doses": {"morning": "1", "night": "1"}}],
        "switch_to_diazepam": True,
    }
    errors = errors_of(ref, **changes, edits=[{"index": 1, "doses": {"night": "10"}}])
    assert "holds alprazolam and diazepam" in errors["edits.0.drug"][0]
    # The default (chosen) pace swaps the night dose whole (diazepam 20 mg): 25 mg is above it.
    plan = build(ref, **changes, edits=[{"index": 1, "doses": {"night": "25"}, "drug": "diazepam"}])
    assert ("night", "diazepam", "25") in doses(plan, 1)
    assert ("crossover-above-start", 1) in [(v.rule, v.step) for v in plan.violations]


# -- holds ------------------------------------------------------------------------------------


def test_a_hold_repeats_a_step_and_shifts_the_rest(ref: Reference) -> None:
    plain = build(ref)
    held = build(ref, holds=[{"step": 3, "days": 14}])
    assert len(held.steps) == len(plain.steps) + 1
    hold = held.steps[3]
    assert hold.phase is Phase.HOLD and hold.index == 4 and hold.doses == plain.steps[2].doses
    assert hold.reduction_percent == 0
    assert held.steps[4].doses == plain.steps[3].doses
    assert held.steps[4].start_date == plain.steps[3].start_date + datetime.timedelta(days=14)
    assert [s.index for s in held.steps] == list(range(1, len(held.steps) + 1))


def test_holds_refer_to_indices_before_any_insertion_and_apply_in_order(ref: Reference) -> None:
    plain = build(ref)
    held = build(
        ref, holds=[{"step": 2, "days": 7}, {"step": 4, "days": 14}, {"step": 2, "days": 21}]
    )
    phases = [(s.phase, s.days) for s in held.steps[:7]]
    assert phases[2:4] == [(Phase.HOLD, 7), (Phase.HOLD, 21)]
    assert held.steps[4].doses == plain.steps[2].doses
    assert held.steps[6].phase is Phase.HOLD and held.steps[6].doses == plain.steps[3].doses


def test_a_hold_cannot_follow_the_stop(ref: Reference) -> None:
    count = len(build(ref).steps)
    errors = errors_of(ref, holds=[{"step": count, "days": 7}])
    assert "stop step" in errors["holds.0.step"][0]
    errors = errors_of(ref, holds=[{"step": count + 5, "days": 7}])
    assert "There is no step" in errors["holds.0.step"][0]


def test_edits_and_holds_together_keep_the_flag_on_the_renumbered_step(ref: Reference) -> None:
    edited = build(
        ref,
        edits=[
            {"index": 4, "doses": {"morning": "8.2", "night": "10"}, "return_to_previous": True}
        ],
        holds=[{"step": 1, "days": 7}],
    )
    assert ("return-to-previous-dose", 5) in [(w.rule, w.step) for w in edited.warnings]


def test_tablets_carry_the_high_doses_and_liquid_the_small_late_steps(ref: Reference) -> None:
    """A patient is not asked to measure 30 mL of syrup while tablets can make the step."""
    plan = build(
        ref, regimen=[{"drug": "diazepam", "doses": {"morning": "20", "night": "20"}}], country="GB"
    )
    liquid_steps = [
        step
        for step in plan.steps
        if any(unit.unit == "mL" for dose in step.doses for unit in dose.units)
    ]
    assert liquid_steps, "GB has diazepam liquids: the late small steps use them"
    # tablets carry the bulk: no liquid dose above 10 mL (issue 9)
    assert all(
        unit.count <= 10
        for step in liquid_steps
        for dose in step.doses
        for unit in dose.units
        if unit.unit == "mL"
    )

"""Engine v2 (issue 9): the custom strategy, crossover_pace parsing and start dates."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal as D
from typing import Any

import pytest

from schedules.engine import (
    CrossoverPace,
    CustomStep,
    Phase,
    Plan,
    PlanInputError,
    Reference,
    StrategyKind,
    build_plan,
    parse_plan_request,
)
from schedules.engine.units import fmt
from tests.schedules.engine.checks import check_dates, check_end, check_makeable
from tests.schedules.engine.conftest import request_body

TODAY = datetime.date(2027, 1, 4)


def build(reference: Reference, **changes: Any) -> Plan:
    request = parse_plan_request(request_body(**changes), reference)
    plan = build_plan(request, reference)
    check_dates(plan, request)
    check_end(plan, request)
    check_makeable(plan, request, reference)
    return plan


def errors_of(reference: Reference, today: datetime.date | None = None, **changes: Any) -> Any:
    def attempt() -> None:
        build_plan(parse_plan_request(request_body(**changes), reference, today=today), reference)

    with pytest.raises(PlanInputError) as caught:
        attempt()
    return caught.value.errors


def custom(*steps: tuple[str, int | None]) -> list[dict[str, Any]]:
    return [{"mg": mg} if days is None else {"mg": mg, "days": days} for mg, days in steps]


# -- 8. custom strategy -------------------------------------------------------------------------


def test_custom_steps_are_realised_as_given(ref: Reference) -> None:
    plan = build(
        ref,
        strategy="custom",
        custom_steps=custom(("18", 14), ("16", 21), ("15", 14), ("7.5", 28), ("0", None)),
    )
    assert [s.equivalent_mg for s in plan.steps] == [20, 18, 16, 15, D("7.5"), 0]
    assert [s.days for s in plan.steps] == [14, 14, 21, 14, 28, 0]
    assert plan.steps[0].phase is Phase.TAPER  # the baseline: the current regimen
    assert plan.steps[-1].phase is Phase.STOP
    # The cut is shared as with the other strategies: daytime first, night kept longest.
    assert [(d.slot.value, fmt(d.mg)) for d in plan.steps[1].doses] == [
        ("morning", "8"),
        ("night", "10"),
    ]
    # 15 -> 7.5 mg is 50% in 14 days: reported, never fixed.
    assert ("max-25-percent-per-14-days", 5) in [(v.rule, v.step) for v in plan.violations]
    # The stop from 7.5 mg is not a final-stop exemption either.
    assert ("max-25-percent-per-14-days", 6) in [(v.rule, v.step) for v in plan.violations]


def test_custom_steps_after_a_switch_are_diazepam(ref: Reference) -> None:
    plan = build(
        ref,
        regimen=[{"drug": "lorazepam", "doses": {"morning": "1", "night": "1"}}],
        switch_to_diazepam=True,
        strategy="custom",
        custom_steps=custom(("19", 14), ("18", 14), ("0", None)),
    )
    assert [s.phase for s in plan.steps[:2]] == [Phase.CROSSOVER, Phase.CROSSOVER]
    assert [s.equivalent_mg for s in plan.steps[2:]] == [19, 18, 0]
    assert all(d.drug == "diazepam" for s in plan.steps[1:] for d in s.doses)
    assert plan.reviews  # the SCOT review after the switch


def test_a_custom_rise_is_a_violation(ref: Reference) -> None:
    plan = build(ref, strategy="custom", custom_steps=custom(("18", 14), ("19", 14), ("0", None)))
    assert ("no-increase-outside-crossover", 3) in [(v.rule, v.step) for v in plan.violations]


def test_custom_doses_that_cannot_be_made_are_refused_per_step(ref: Reference) -> None:
    errors = errors_of(
        ref,
        regimen=[{"drug": "lorazepam", "doses": {"night": "2"}}],
        country="XX",
        strategy="custom",
        custom_steps=custom(("1.5", 14), ("1", 14), ("0.75", 14), ("0", None)),
    )
    assert sorted(errors) == ["custom_steps.0.mg", "custom_steps.2.mg"]
    assert "cannot be made from XX products" in errors["custom_steps.0.mg"][0]
    assert "nearest makeable: 1 mg or 2 mg" in errors["custom_steps.0.mg"][0]


@pytest.mark.parametrize(
    ("steps", "path", "words"),
    [
        ([{"mg": "-1", "days": 14}, {"mg": "0"}], "custom_steps.0.mg", "0 mg (stop) or more"),
        ([{"mg": "18"}, {"mg": "0"}], "custom_steps.0.days", "This field is required"),
        ([{"mg": 1.5, "days": 14}, {"mg": "0"}], "custom_steps.0.mg", ""),
        ([{"mg": "0"}, {"mg": "5", "days": 7}], "custom_steps.0", "last step"),
        ([{"mg": "18", "days": 14, "x": 1}, {"mg": "0"}], "custom_steps.0.x", "Unknown field"),
        ([], "custom_steps", "Expected a list"),
        ("18", "custom_steps", "Expected a list"),
        ([{"mg": "18", "days": 0}, {"mg": "0"}], "custom_steps.0.days", "from 1 to 365"),
    ],
)
def test_custom_step_errors_have_paths(ref: Reference, steps: Any, path: str, words: str) -> None:
    errors = errors_of(ref, strategy="custom", custom_steps=steps)
    assert path in errors, errors
    assert words in " ".join(errors[path])


def test_custom_needs_its_steps_and_ends_on_the_target(ref: Reference) -> None:
    assert "custom_steps" in errors_of(ref, strategy="custom")
    errors = errors_of(ref, strategy="custom", custom_steps=custom(("18", 14), ("16", 14)))
    assert "last custom step is the stop" in errors["custom_steps"][0]
    plan = build(
        ref, strategy="custom", target_mg="16", custom_steps=custom(("18", 14), ("16", 14))
    )
    assert plan.steps[-1].equivalent_mg == 16 and plan.steps[-1].days == 14
    errors = errors_of(
        ref,
        strategy="custom",
        target_mg="15",
        custom_steps=custom(
            ("16", 14),
        ),
    )
    assert "must equal target_mg" in errors["custom_steps"][0]
    errors = errors_of(
        ref,
        custom_steps=custom(
            ("16", 14),
        ),
    )
    assert errors["custom_steps"] == ['Only used with strategy "custom".']


def test_custom_with_two_drugs_needs_the_switch(ref: Reference) -> None:
    two = [
        {"drug": "diazepam", "doses": {"night": "5"}},
        {"drug": "lorazepam", "doses": {"morning": "1"}},
    ]
    errors = errors_of(ref, regimen=two, strategy="custom", custom_steps=custom(("0", None)))
    assert "switch to diazepam first" in errors["custom_steps"][0]


def test_custom_request_is_typed(ref: Reference) -> None:
    request = parse_plan_request(
        request_body(strategy="custom", custom_steps=custom(("18", 14), ("0", None))), ref
    )
    assert request.strategy is StrategyKind.CUSTOM
    assert request.custom_steps == (CustomStep(D(18), 14), CustomStep(D(0), 0))


# -- crossover_pace ------------------------------------------------------------------------------


def test_crossover_pace_parses_and_defaults_to_chosen(ref: Reference) -> None:
    assert parse_plan_request(request_body(), ref).crossover_pace is CrossoverPace.CHOSEN
    ashton = parse_plan_request(request_body(crossover_pace="ashton"), ref)
    assert ashton.crossover_pace is CrossoverPace.ASHTON
    errors = errors_of(ref, crossover_pace="fast")
    assert 'Unknown cross-over pace "fast"' in errors["crossover_pace"][0]


# -- 5. dates ------------------------------------------------------------------------------------


def test_a_start_before_2000_is_refused_even_without_today(ref: Reference) -> None:
    errors = errors_of(ref, start_date="1999-12-31")
    assert "before 2000-01-01" in errors["start_date"][0]
    parse_plan_request(request_body(start_date="2000-01-01"), ref)


def test_without_today_any_later_date_is_accepted_as_before(ref: Reference) -> None:
    parse_plan_request(request_body(start_date="2040-01-01"), ref)
    parse_plan_request(request_body(start_date="2001-01-01"), ref)


def test_a_start_more_than_2_years_ahead_is_refused(ref: Reference) -> None:
    errors = errors_of(ref, today=TODAY, start_date="2029-01-05")
    assert "more than 2 years after today (2027-01-04)" in errors["start_date"][0]
    parse_plan_request(request_body(start_date="2029-01-03"), ref, today=TODAY)


def test_a_start_more_than_14_days_back_is_refused(ref: Reference) -> None:
    errors = errors_of(ref, today=TODAY, start_date="2026-12-20", allow_past_start=True)
    assert "more than 14 days before today" in errors["start_date"][0]


def test_a_past_start_needs_explicit_confirmation(ref: Reference) -> None:
    errors = errors_of(ref, today=TODAY, start_date="2026-12-21")
    assert "allow_past_start" in errors["start_date"][0]
    request = parse_plan_request(
        request_body(start_date="2026-12-21", allow_past_start=True), ref, today=TODAY
    )
    assert request.allow_past_start and request.start_date == datetime.date(2026, 12, 21)
    parse_plan_request(request_body(start_date="2027-01-04"), ref, today=TODAY)


def test_allow_past_start_must_be_a_boolean(ref: Reference) -> None:
    errors = errors_of(ref, allow_past_start="yes")
    assert errors["allow_past_start"] == ["Expected true or false."]


def test_custom_steps_built_in_code_are_validated_too(ref: Reference) -> None:
    request = parse_plan_request(
        request_body(strategy="custom", custom_steps=custom(("0", None))), ref
    )
    bad = dataclasses.replace(
        request, custom_steps=(CustomStep(D(0), 0), CustomStep(D(5), 14), CustomStep(D(4), 0))
    )
    with pytest.raises(PlanInputError) as caught:
        build_plan(bad, ref)
    assert sorted(caught.value.errors) == ["custom_steps.0.mg", "custom_steps.2.days"]

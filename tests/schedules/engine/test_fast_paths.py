"""The engine's shortcuts give what the plain code gave (issue 9, "Faster than the peer").

The preview path formats figures without ``normalize()``, makes steps as named tuples and
serialises doses from strings kept on them; these tests pin what each shortcut must keep.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal as D

import pytest

from schedules.engine import Phase, Reference, Step, build_plan, parse_plan_request
from schedules.engine.units import CONTEXT, fmt
from tests.schedules.engine.conftest import request_body


def _reference_fmt(value: D) -> str:
    """fmt as it was written first: normalize() and format "f" for every plain string with a
    trailing zero."""
    text = str(value)
    if "E" not in text and "e" not in text and ("." not in text or text[-1] != "0"):
        return "0" if text == "-0" else text
    if not value:
        return "0"
    return format(value.normalize(CONTEXT), "f")


@pytest.mark.parametrize(
    "value",
    [
        D("0"),
        D("-0"),
        D("0.00"),
        D("-0.00"),
        D("10.00"),
        D("100.0"),
        D("0.0100"),
        D("1.250"),
        D("1E+2"),
        D("1.0E-7"),
        D("36.00"),
        D("-1.50"),
        # 28 digits, then 29 and 30: normalize() rounds to 28 digits, so a long string is
        # trimmed by it only when it ends in a zero, and kept as it is otherwise
        D("123456789012345678901234567.0"),
        D("1234567890123456789012345678.0"),
        D("-1234567890123456789012345678.90"),
        D("-1234567890123456789012345678.91"),
        D("12345678901234567890123456789.5"),
        D(1) / D(3),
    ],
)
def test_fmt_gives_what_normalize_gave(value: D) -> None:
    assert fmt(value) == _reference_fmt(value)


def test_a_step_is_immutable_and_equal_by_value() -> None:
    day = datetime.date(2027, 1, 4)
    step = Step(1, day, day, 14, D("10.00"), D(0), Phase.TAPER, (), D(10))
    again = Step(1, day, day, 14, D("10.00"), D(0), Phase.TAPER, (), D(10))
    assert step == again
    assert hash(step) == hash(again)
    assert step != step._replace(equivalent_exact=D("10.001"))
    with pytest.raises(AttributeError):
        step.days = 7  # type: ignore[misc]
    assert not dataclasses.is_dataclass(step)
    assert "equivalent_exact" not in repr(step)  # as the dataclass showed it


def test_to_dict_gives_fresh_dicts_every_time(data_ref: Reference) -> None:
    """Doses are shared between plans (the formulary caches them) and their strings are kept
    on them: a caller changing one answer must not change the next."""
    body = request_body()
    plan = build_plan(parse_plan_request(body, data_ref), data_ref)
    first = plan.to_dict()
    expected = plan.to_dict()
    step = first["steps"][1]
    step["doses"][0]["mg"] = "999"
    step["doses"][0]["units"][0]["count"] = "999"
    step["doses"].append({})
    step["equivalent_mg"] = "999"
    assert plan.to_dict() == expected
    again = build_plan(parse_plan_request(body, data_ref), data_ref)
    assert again.to_dict() == expected
    assert plan.steps[1].to_dict() == expected["steps"][1]


# -- the 14-day window, issues, rebalance and request parsing (engine-speed-2) ---------------


def _window_by_days(steps: tuple[Step, ...], start: D, limit: D, threshold: D) -> list[int]:
    """The 14-day rule read literally, day by day: each dosing day's DE against the largest
    DE of the days 14 earlier (the start DE before day 0); a stop step is its first day
    without a dose, exempt when it is the last step and the DE before it is at most the
    threshold."""
    days: list[D] = []  # DE of each dosing day
    breaches: list[int] = []
    for i, step in enumerate(steps):
        first = len(days)
        days.extend([step.equivalent_exact] * step.days)
        if step.phase is Phase.STOP:
            before = steps[i - 1].equivalent_exact if i else start
            if i == len(steps) - 1 and before <= threshold:
                continue
            window_days = [first]
        elif step.days <= 0:
            continue
        else:
            window_days = list(range(first, first + step.days))
        reference = max(days[d - 14] if d >= 14 else start for d in window_days)
        if reference > 0 and step.equivalent_exact * 100 < (100 - limit) * reference:
            breaches.append(step.index)
    return breaches


@pytest.mark.parametrize("seed", range(40))
def test_the_window_check_is_the_rule_read_day_by_day(seed: int) -> None:
    """The window check walks the dosing steps reached so far; it flags exactly the steps
    the day-by-day reading flags (short, long and zero-day steps, holds, a final stop)."""
    import random
    from decimal import localcontext

    from schedules.engine.guardrails import MAX_REDUCTION, check_plan

    rng = random.Random(seed)
    start = D(rng.choice(["40", "20", "7.5", "3"]))
    value = start
    steps = []
    day = datetime.date(2027, 1, 4)
    for index in range(1, rng.randrange(2, 30)):
        days = rng.choice([0, 1, 3, 7, 10, 13, 14, 14, 14, 15, 21, 28, 60])
        value = max(D(0), value - D(rng.randrange(0, 40)) / 10)
        phase = rng.choice([Phase.TAPER, Phase.TAPER, Phase.HOLD])
        end = day + datetime.timedelta(days=max(days - 1, 0))
        steps.append(Step(index, day, end, days, value, D(0), phase, (), value))
        day += datetime.timedelta(days=days)
    if rng.random() < 0.5:
        steps.append(Step(len(steps) + 1, day, day, 0, D(0), D(0), Phase.STOP, (), D(0)))
    plan_steps = tuple(steps)
    limit = D(rng.choice(["25", "10", "5"]))
    with localcontext(CONTEXT):
        violations, _ = check_plan(
            plan_steps, start_equivalent=start, max_reduction_percent=limit, stop_threshold=D(1)
        )
        expected = _window_by_days(plan_steps, start, limit, D(1))
    found = [v.step for v in violations if v.rule == MAX_REDUCTION.rule]
    assert found == expected


def test_an_issue_made_by_a_rule_is_an_ordinary_issue() -> None:
    """Rule.issue skips the dataclass __init__: the issue is still equal, hashable, frozen
    and copyable like one made by the constructor."""
    import copy

    from schedules.engine import Issue
    from schedules.engine.guardrails import MIN_STEP_DAYS

    made = MIN_STEP_DAYS.issue(3, days=5)
    plain = Issue(made.rule, 3, made.message, made.source)
    assert made == plain and hash(made) == hash(plain) and repr(made) == repr(plain)
    assert made.to_dict() == plain.to_dict()
    assert copy.deepcopy(made) == plain and copy.copy(made) == plain
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.step = 4  # type: ignore[misc]


def test_rebalance_is_the_smallest_pair_by_brute_force(data_ref: Reference) -> None:
    """Formulary.rebalance against every pair of tablet doses: the smallest sum >= wanted
    below the caps, the largest a among equal sums (checked over a grid of inputs)."""
    from schedules.engine.formulations import get_formulary

    formulary = get_formulary(data_ref, "diazepam", "GB", "ir", D(20))
    solids = formulary._solid_values
    floor = D(1)
    for cap_a in (D(5), D(9), D(15), D(20)):
        for cap_b in (D(5), D(10), D(20)):
            for wanted in (D(3), D(8), D("12.5"), D(18), D(27), D(33)):
                candidates = [a for a in solids if a <= cap_a and a >= max(floor, wanted - cap_b)]
                best = None
                for a in reversed(candidates[-64:]):
                    bs = [b for b in solids if b >= max(wanted - a, floor, a)]
                    if not bs or bs[0] > cap_b or a + bs[0] >= cap_a + cap_b:
                        continue
                    if best is None or a + bs[0] < sum(best):
                        best = (a, bs[0])
                        if a + bs[0] == wanted:
                            break
                assert formulary.rebalance(wanted, cap_a, cap_b, floor) == best


def test_doses_parse_the_same_through_the_known_name_shortcut(data_ref: Reference) -> None:
    """Known slot names and strategies take a direct lookup; unknown ones, non-strings and
    bad doses give the errors they gave."""
    from schedules.engine import PlanInputError, StrategyKind

    body = request_body()
    body["regimen"] = [{"drug": "diazepam", "doses": {"morning": "5", "night": "10"}}]
    request = parse_plan_request(body, data_ref)
    assert request.strategy is StrategyKind(body["strategy"])
    assert [(slot.value, str(mg)) for slot, mg in request.regimen[0].doses] == [
        ("morning", "5"),
        ("night", "10"),
    ]
    body["regimen"] = [{"drug": "diazepam", "doses": {"noon": "5", "night": 0.5}}]
    body["strategy"] = "steep"
    with pytest.raises(PlanInputError) as caught:
        parse_plan_request(body, data_ref)
    errors = caught.value.errors
    assert set(errors) >= {"regimen.0.doses.noon", "regimen.0.doses.night", "strategy"}
    assert "not as a JSON number" in errors["regimen.0.doses.night"][0]


# -- the steps' serialisation (speed-output) -------------------------------------------------

from schedules.engine import Dose  # noqa: E402  (this section's own import, kept with it)


def _plain_dose_dict(dose: Dose) -> dict[str, object]:
    """Dose.to_dict written out field by field: no kept dicts, nothing copied."""
    return {
        "slot": dose.slot.value,
        "drug": dose.drug,
        "mg": _reference_fmt(dose.mg),
        "units": [
            {
                "product": unit.product,
                "count": _reference_fmt(unit.count),
                "unit": unit.unit,
                "strength_mg": _reference_fmt(unit.strength_mg),
            }
            for unit in dose.units
        ],
    }


def _plain_step_dict(step: Step) -> dict[str, object]:
    """Step.to_dict written out field by field: no memo, no kept dicts, nothing copied."""
    return {
        "index": step.index,
        "start_date": step.start_date.isoformat(),
        "end_date": step.end_date.isoformat(),
        "days": step.days,
        "equivalent_mg": _reference_fmt(step.equivalent_mg),
        "reduction_percent": _reference_fmt(step.reduction_percent),
        "phase": step.phase.value,
        "doses": [_plain_dose_dict(dose) for dose in step.doses],
    }


def _containers(value: object) -> list[object]:
    """Every dict and list inside ``value`` (itself included)."""
    found: list[object] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            found.append(item)
            stack.extend(item)
    return found


def _handmade_steps() -> tuple[Step, ...]:
    """Steps whose doses hold one, two and three units (the copy takes a path for each), the
    same dose in two steps and two slots, equal figures written with different exponents."""
    from schedules.engine import Slot, Unit

    five = Unit("diazepam 5 mg tablets", D("1"), "tablet", D("5.0"))
    two = Unit("diazepam 2 mg tablets", D("0.50"), "tablet", D("2"))
    liquid = Unit("diazepam 2 mg/5 mL oral solution", D("1.25"), "mL", D("0.4"))
    one = Dose(Slot.MORNING, "diazepam", D("5"), (five,))
    pair = Dose(Slot.NIGHT, "diazepam", D("6.00"), (five, two))
    three = Dose(Slot.MIDDAY, "diazepam", D("6.5"), (five, two, liquid))
    day = datetime.date(2027, 1, 4)
    later = datetime.date(2027, 1, 18)
    return (
        Step(1, day, later, 14, D("17.50"), D("0"), Phase.TAPER, (one, three, pair), D("17.5")),
        Step(2, later, later, 1, D("11.0"), D("37.1"), Phase.HOLD, (one, pair), D(11)),
        Step(3, later, later, 0, D("0.00"), D("100.0"), Phase.STOP, (), D(0)),
        Step(4, day, day, 2, D("1E+1"), D("-0"), Phase.CROSSOVER, (one,), D(10)),
    )


@pytest.mark.parametrize("memos", ["empty", "filled"])
def test_steps_serialise_as_written_out_plainly(data_ref: Reference, memos: str) -> None:
    """_steps_to_dicts (memoised texts, doses' kept dicts copied) gives exactly the plain
    field-by-field dicts, key order included, whether its memos hold the texts or not."""
    import json

    from schedules.engine import types

    bodies = [
        request_body(),
        request_body(regimen=[{"drug": "diazepam", "doses": {"morning": "20", "night": "20"}}]),
        request_body(
            regimen=[{"drug": "lorazepam", "doses": {"morning": "2", "midday": "2", "night": "2"}}]
        ),
    ]
    plans = [build_plan(parse_plan_request(body, data_ref), data_ref).steps for body in bodies]
    for steps in [_handmade_steps(), *plans]:
        if memos == "empty":
            types._DATE_TEXT.clear()
            types._FIGURE_TEXT.clear()
        else:
            types._steps_to_dicts(steps)
        got = types._steps_to_dicts(steps)
        expected = [_plain_step_dict(step) for step in steps]
        assert json.dumps(got) == json.dumps(expected)
        assert got == expected
        assert [step.to_dict() for step in steps] == expected
        doses = [dose for step in steps for dose in step.doses]
        assert [dose.to_dict() for dose in doses] == [_plain_dose_dict(dose) for dose in doses]


def test_no_dict_or_list_is_shared_between_or_within_answers() -> None:
    """Doses keep their dicts and answers get copies: no dict or list of one answer is
    another's, a kept one, or appears twice in one answer (the same dose in two steps)."""
    from schedules.engine import types

    steps = _handmade_steps()
    first = types._steps_to_dicts(steps)
    second = types._steps_to_dicts(steps)
    singles = [dose.to_dict() for step in steps for dose in step.doses]
    kept = [
        item
        for step in steps
        for dose in step.doses
        for item in (dose._form[0], *dose._form[1])  # type: ignore[index]
    ]
    ids = [id(item) for item in [*_containers(first), *_containers(second), *_containers(singles)]]
    assert len(ids) == len(set(ids))
    assert not set(ids) & {id(item) for item in kept}
    assert all(form["units"] is None for form in kept if "slot" in form)

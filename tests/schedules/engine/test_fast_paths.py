"""The engine's shortcuts give what the plain code gave (issue 9, "Faster than the peer").

The preview path formats figures without ``normalize()``, makes steps as named tuples and
serialises doses from strings kept on them; these tests pin what each shortcut must keep.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal as D
from typing import Any

import pytest

from schedules.engine import Phase, Reference, Slot, Step, build_plan, parse_plan_request
from schedules.engine.formulations import Formulary
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


# -- the taper loop and the dose search (speed-taper) -----------------------------------------


def _rebalance_plain(
    formulary: Formulary, wanted: D, cap_a: D, cap_b: D, floor: D
) -> tuple[D, D] | None:
    """Formulary.rebalance as it was written on Decimals (bisect over the tablet grid for
    every a), before the search on whole counts of the grid's quantum."""
    from bisect import bisect_left, bisect_right

    solids = formulary.solid_values
    count = len(solids)
    best_sum = cap_a + cap_b
    best: tuple[D, D] | None = None
    low = bisect_left(solids, max(floor, wanted - cap_b))
    high = bisect_right(solids, cap_a)
    for index in range(high - 1, max(low, high - 64) - 1, -1):
        a = solids[index]
        need = max(wanted - a, floor, a)
        i = bisect_left(solids, need)
        if i >= count or solids[i] > cap_b:
            continue
        total = a + solids[i]
        if total < best_sum:
            best = (a, solids[i])
            best_sum = total
            if total == wanted:
                break
    return best


@pytest.mark.parametrize(
    ("drug", "country"),
    [
        ("diazepam", "GB"),
        ("lorazepam", "GB"),  # a quarter-mg grid (2.5 mg tablets halved)
        ("clonazepam", "GB"),
        ("alprazolam", "GB"),
        ("chlordiazepoxide", "GB"),
        ("oxazepam", "GB"),
        ("alprazolam", "US"),
    ],
)
def test_rebalance_on_counts_gives_what_the_decimal_search_gave(
    data_ref: Reference, drug: str, country: str
) -> None:
    """The search on whole counts of the grid's quantum (caps looked up by index) against
    the plain Decimal search: the same pair or None, for caps on and off the grid, wanted
    sums on and off it (long planned values too) and floors on and off it."""
    from schedules.engine.formulations import get_formulary

    formulary = get_formulary(data_ref, drug, country)
    solids = formulary.solid_values
    assert solids
    picks = [*solids[:: max(1, len(solids) // 12)][:14], solids[-1]]
    off = [value + D("0.013") for value in picks[:6]] + [D("0.0001"), D(0)]
    caps = picks + off
    wanteds = [*picks, *off, *(a + b for a in picks[:5] for b in picks[:5])]
    wanteds += [value * D("0.9") for value in picks] + [D("12.96") / D(7)]
    floors = [D(0), D("0.05"), solids[0], solids[min(2, len(solids) - 1)] + D("0.001")]
    checked = 0
    for cap_a in caps:
        for cap_b in caps[::2]:
            for wanted in wanteds[::3]:
                for floor in floors:
                    expected = _rebalance_plain(formulary, wanted, cap_a, cap_b, floor)
                    assert formulary.rebalance(wanted, cap_a, cap_b, floor) == expected, (
                        wanted,
                        cap_a,
                        cap_b,
                        floor,
                    )
                    checked += expected is not None
    assert checked > 50  # the grid gave pairs, not only None


def _taper_bodies() -> list[dict[str, Any]]:
    """One-drug and two-drug tapers over one to three slots, on tablets and liquids, with
    steps lengthened (coarse products, small asked cuts) and slots shared (Ashton's tails)."""
    bodies = []
    for drug, doses in (
        ("diazepam", {"morning": "20", "night": "20"}),
        ("diazepam", {"morning": "5", "midday": "2", "night": "10"}),
        ("lorazepam", {"morning": "2", "midday": "2", "night": "2"}),
        ("lorazepam", {"morning": "1", "night": "1"}),
        ("clonazepam", {"morning": "0.5", "night": "1"}),
        ("alprazolam", {"morning": "2", "midday": "2", "night": "2"}),
        ("chlordiazepoxide", {"morning": "25", "midday": "25", "night": "25"}),
        ("oxazepam", {"morning": "30", "midday": "30", "night": "30"}),
        ("temazepam", {"night": "20"}),
    ):
        for changes in (
            {"strategy": "proportional", "reduction_percent": "10"},
            {"strategy": "proportional", "reduction_percent": "25", "target_mg": "2"},
            {"strategy": "linear", "step_mg": "1"},
            {"strategy": "banded", "interval_days": 7},
        ):
            bodies.append(request_body(regimen=[{"drug": drug, "doses": doses}], **changes))
    bodies.append(
        request_body(
            regimen=[
                {"drug": "clonazepam", "doses": {"morning": "0.5", "midday": "0.5"}},
                {"drug": "zolpidem", "doses": {"night": "10"}},
            ],
            equivalence_source="nhs-scotland-2024",
        )
    )
    return bodies


def _plans(reference: Reference) -> list[Any]:
    from schedules.engine import PlanInputError
    from tests.schedules.engine.conftest import forget_tapers

    answers: list[Any] = []
    for body in _taper_bodies():
        forget_tapers(reference)  # the loop runs, not the memo of one-drug tapers
        try:
            answers.append(("plan", build_plan(parse_plan_request(body, reference), reference)))
        except PlanInputError as error:
            answers.append(("error", error.errors))
    return answers


def test_taper_loop_shortcuts_give_the_plain_plans(
    data_ref: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop's liquid search bounded by the dose made last, and its memo of each grid
    dose's diazepam-equivalent, against the loop with a search of the whole liquid grid and
    every equivalent divided afresh: the same plans, step for step."""
    import bisect

    from schedules.engine import planner
    from schedules.engine.formulations import Formulary

    fast = _plans(data_ref)
    assert sum(kind == "plan" and len(plan.steps) > 10 for kind, plan in fast) > 20

    def whole_grid(values: list[D], target: D, lo: int = 0, hi: int | None = None) -> int:
        return bisect.bisect_left(values, target)

    monkeypatch.setattr(planner, "bisect_left", whole_grid)
    monkeypatch.setattr(Formulary, "equivalents", lambda self, figure: {})
    plain = _plans(data_ref)
    assert [(kind, answer if kind == "error" else answer.to_dict()) for kind, answer in plain] == [
        (kind, answer if kind == "error" else answer.to_dict()) for kind, answer in fast
    ]


def test_a_cut_inside_the_slots_and_the_lengthened_liquid_tail(data_ref: Reference) -> None:
    """The cut slot's share placed without subtracting the later slots (they keep their
    doses), and the dose below the last liquid dose taken from the grid beside it when a cut
    is smaller than one measure (the step before lengthened): lorazepam 2 mg three times a
    day, 10%, as the plain loop built it (midday cut first, on the liquid; then the morning
    beside the night's 2 mg; then the night, 0.1 mg a step over 28 to 140 days)."""
    from tests.schedules.engine.conftest import forget_tapers

    body = request_body(
        regimen=[{"drug": "lorazepam", "doses": {"morning": "2", "midday": "2", "night": "2"}}]
    )
    forget_tapers(data_ref)
    plan = build_plan(parse_plan_request(body, data_ref), data_ref)
    table = [
        (step.days, " ".join(f"{dose.slot.value} {fmt(dose.mg)}" for dose in step.doses))
        for step in plan.steps
    ]
    assert table == [
        (14, "morning 2 midday 2 night 2"),
        (14, "morning 2 midday 1.4 night 2"),
        (14, "morning 2 midday 0.9 night 2"),
        (14, "morning 2 midday 0.5 night 2"),
        (14, "morning 2 midday 0.2 night 2"),
        (14, "morning 1.8 night 2"),
        (14, "morning 1.45 night 2"),
        (14, "morning 1.2 night 2"),
        (14, "morning 0.9 night 2"),
        (14, "morning 0.7 night 2"),
        (14, "morning 0.5 night 2"),
        (14, "morning 0.3 night 2"),
        (14, "morning 0.2 night 2"),
        (14, "night 2"),
        (14, "night 1.8"),
        (14, "night 1.65"),
        *((14, f"night {mg}") for mg in ("1.5", "1.4", "1.3", "1.2", "1.1", "1")),
        *((28, f"night {mg}") for mg in ("0.9", "0.8", "0.7", "0.6", "0.5")),
        (42, "night 0.4"),
        (56, "night 0.3"),
        (140, "night 0.2"),
        (0, ""),
    ]


def test_the_index_of_liquid_doses_holds_the_cached_doses(data_ref: Reference) -> None:
    """Formulary.liquid_doses (the loop's doses of the last slot on the liquid, by grid
    index) holds, under n, the very dose Formulary.dose caches for liquid_values[n]."""
    from schedules.engine.formulations import get_formulary

    _plans(data_ref)
    checked = 0
    for drug in ("diazepam", "lorazepam", "clonazepam", "temazepam"):
        formulary = get_formulary(data_ref, drug, "GB")
        for slot in ("morning", "midday", "night"):
            for n, dose in formulary.liquid_doses(Slot(slot)).items():
                value = formulary.liquid_values[n]
                assert dose is formulary.dose_cache[(Slot(slot), value, True)]
                assert dose.mg == value and dose.slot is Slot(slot)
                checked += 1
    assert checked > 50

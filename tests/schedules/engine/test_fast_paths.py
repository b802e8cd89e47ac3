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


# -- parse path (speed-parse): parsing, validation and the builder's set-up ------------------


def _reference_parse_decimal(value: object, max_places: int = 4) -> D:
    """parse_decimal of a string as it was written first: every check, then Decimal()."""
    from schedules.engine.units import DecimalParseError, _clip

    assert isinstance(value, str)
    text = value
    if len(text) > 1 + 7 + 1 + max_places + 4:
        raise DecimalParseError("This number is too long.")
    body = text[1:] if text.startswith("-") else text
    whole, dot, fraction = body.partition(".")
    if (
        not whole
        or not (whole.isascii() and whole.isdigit())
        or (dot and (not fraction or not (fraction.isascii() and fraction.isdigit())))
    ):
        raise DecimalParseError(
            f'"{_clip(text)}" is not a decimal number; write it like "10" or "0.5".'
        )
    if len(fraction) > max_places:
        raise DecimalParseError(f"Use at most {max_places} digits after the decimal point.")
    if len(whole.lstrip("0")) > 7:
        raise DecimalParseError("This number is far too large.")
    return D(text)


@pytest.mark.parametrize(
    "text",
    ["0", "10", "0000000", "1234567", "9999999", "12345678", "00000001", "000000012345678",
     "", "-5", "-0", "5.0", "0.5", "0.12345", "1e3", " 1", "1 ", "\u0663", "\u00b2", "1\u00b2",
     "+1", "0x10", "1_000", "NaN", "Infinity", "12.", ".5"],
)  # fmt: skip
def test_whole_number_shortcut_parses_as_the_checks_did(text: str) -> None:
    from schedules.engine.units import DecimalParseError, parse_decimal

    for places in (4, 6):
        try:
            expected: D | str = _reference_parse_decimal(text, places)
        except DecimalParseError as exc:
            expected = exc.message
        try:
            got: D | str = parse_decimal(text, max_places=places)
        except DecimalParseError as exc:
            got = exc.message
        assert type(got) is type(expected)
        assert str(got) == str(expected)


def _bodies() -> list[dict[str, object]]:
    """Valid bodies of many shapes: one and several drugs, forms, switches, sources, targets."""
    regimens = [
        [{"drug": "diazepam", "doses": {"night": "10"}}],
        [{"drug": "diazepam", "doses": {"morning": "20", "night": "20"}}],
        [{"drug": "alprazolam", "doses": {"night": "2", "morning": "2", "midday": "2"}}],
        [{"drug": "lorazepam", "doses": {"morning": "1", "night": "1"}}],
        [{"drug": "clonazepam", "doses": {"morning": "0.5", "night": "1"}}],
        [
            {"drug": "clonazepam", "doses": {"morning": "0.5", "midday": "0.5"}},
            {"drug": "zolpidem", "doses": {"night": "10"}},
        ],
        [
            {"drug": "diazepam", "doses": {"night": "5"}},
            {"drug": "temazepam", "doses": {"night": "20"}},
        ],
    ]
    bodies: list[dict[str, object]] = []
    for regimen in regimens:
        for changes in (
            {},
            {"switch_to_diazepam": True},
            {"equivalence_source": "nhs-scotland-2024"},
            {"target_mg": "2"},
            {"strategy": "linear", "step_mg": "1", "reduction_percent": None},
        ):
            bodies.append(request_body(regimen=regimen, **changes))
    return bodies


def test_a_parsed_request_passes_the_checks_the_parser_skips(data_ref: Reference) -> None:
    """The parser's semantic checks leave out what its own reading refused already (doses of
    0 mg or less, a slot twice, an unknown form) and the start DE for a target of 0: the full
    checks find nothing more, and every valid start is above 0."""
    from schedules.engine import validation

    checked = 0
    for body in _bodies():
        try:
            request = parse_plan_request(body, data_ref)
        except validation.PlanInputError:
            continue
        checked += 1
        errors = validation._Errors()
        positions = list(range(len(request.regimen)))
        validation._check(errors, request, data_ref, skip=set(), positions=positions)
        assert errors == {}
        assert validation._start_equivalent(request, data_ref) > 0
    assert checked >= 25


def test_a_target_above_the_start_is_still_refused(data_ref: Reference) -> None:
    from schedules.engine import PlanInputError

    body = request_body(regimen=[{"drug": "diazepam", "doses": {"night": "10"}}], target_mg="10")
    with pytest.raises(PlanInputError) as caught:
        parse_plan_request(body, data_ref)
    assert "must be below the starting dose" in caught.value.errors["target_mg"][0]


def test_a_mapping_that_is_not_a_dict_parses_like_the_dict(data_ref: Reference) -> None:
    """Bodies, entries and doses that are dicts skip the ABC check; other Mappings take it."""
    from collections.abc import Mapping
    from types import MappingProxyType
    from typing import Any

    class Frozen(Mapping[str, Any]):
        def __init__(self, data: dict[str, Any]) -> None:
            self._data = data

        def __getitem__(self, key: str) -> Any:
            return self._data[key]

        def __iter__(self) -> Any:
            return iter(self._data)

        def __len__(self) -> int:
            return len(self._data)

    body = request_body(regimen=[{"drug": "diazepam", "doses": {"morning": "5", "night": "10"}}])
    entry = body["regimen"][0]  # type: ignore[index]
    wrapped = Frozen(
        {**body, "regimen": [Frozen({**entry, "doses": MappingProxyType(entry["doses"])})]}
    )
    assert parse_plan_request(wrapped, data_ref) == parse_plan_request(body, data_ref)


def test_unknown_fields_are_still_named_in_body_order(data_ref: Reference) -> None:
    from schedules.engine import PlanInputError

    body = {"zzz": 1, **request_body(), "aaa": 2, "overrides": [], "confirm": True}
    with pytest.raises(PlanInputError) as caught:
        parse_plan_request(body, data_ref)
    assert [key for key in caught.value.errors if key in ("zzz", "aaa")] == ["zzz", "aaa"]


def test_doses_come_out_in_day_order_however_many(data_ref: Reference) -> None:
    from schedules.engine.types import SLOTS
    from schedules.engine.validation import _Errors, _parse_doses

    for raw in ({"night": "1"}, {"night": "1", "morning": "2"}, {"evening": "1", "midday": "3"}):
        doses = _parse_doses(_Errors(), "p", raw, allow_zero=False)
        assert doses is not None
        assert [slot for slot, _ in doses] == [s for s in SLOTS if s.value in raw]
        assert {slot.value: str(mg) for slot, mg in doses} == raw


def test_the_memoised_set_up_is_the_one_worked_out(data_ref: Reference) -> None:
    """The builder's set-up (order, figures, formularies, ranks) comes from a per-reference
    memo keyed on the product set and the source: for every request it equals the set-up
    worked out afresh, and one drug keeps drug_order's (sorted) order."""
    from schedules.engine import PlanInputError, load_reference, planner

    built = 0
    for body in _bodies():
        try:
            request = parse_plan_request(body, data_ref)
        except PlanInputError:
            continue
        built += 1
        memo = planner._set_up(request, data_ref)
        assert planner._set_up(request, data_ref) is memo
        fresh = planner._work_out_set_up(request, data_ref)
        assert memo == fresh
        drugs = [entry.drug for entry in request.regimen]
        by_key = sorted(drugs, key=lambda s: planner._half_life_key(data_ref.drug(s), s))
        assert list(memo.order) == by_key == planner.drug_order(data_ref, drugs)

        def outcome(request: object, reference: Reference) -> object:
            try:
                return build_plan(request, reference).to_dict()  # type: ignore[arg-type]
            except PlanInputError as exc:
                return exc.errors

        again = load_reference()  # no memo at all
        expected = outcome(parse_plan_request(body, again), again)
        assert outcome(request, data_ref) == expected
        assert outcome(request, data_ref) == expected  # from the memo
    assert built >= 25


def test_one_dose_sorts_as_sorted_would(data_ref: Reference) -> None:
    from schedules.engine import planner

    request = parse_plan_request(request_body(), data_ref)
    builder = planner._Builder(request, data_ref)
    for doses in (builder.start_doses, builder.start_doses[:1], ()):
        assert builder.ctx.sort(doses) == builder.ctx.sort(list(reversed(doses)))
        assert builder.ctx.sort(iter(doses)) == tuple(
            sorted(doses, key=lambda d: (planner.SLOT_INDEX[d.slot], d.drug))
        )


def test_reference_listings_are_worked_out_from_the_data(data_ref: Reference) -> None:
    assert data_ref.drug_slugs == tuple(sorted(drug.slug for drug in data_ref.drugs))
    assert data_ref.countries == tuple(sorted({p.country for p in data_ref.products}))
    assert data_ref.equivalence_sources == tuple(sorted({f.source for f in data_ref.figures}))


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


# -- finishing the plan and the guardrails (speed-guards) ------------------------------------

import random  # noqa: E402  (this section's own import; the file's head is unchanged)


def _random_steps(rng: random.Random, *, whole: bool) -> tuple[D, tuple[Step, ...]]:
    """A start DE and steps; ``whole``: never rising, every step but the last 14 days or more
    (what the pairwise window check needs), else anything (rises, short and zero-day steps,
    cross-over stages, holds, a stop anywhere)."""
    start = D(rng.choice(["40", "20", "7.5", "3", "1", "0.8"]))
    value = start
    steps = []
    day = datetime.date(2027, 1, 4)
    lengths = [14, 14, 14, 15, 21, 28, 60] if whole else [0, 1, 3, 6, 7, 13, 14, 15, 28, 60]
    phases = [Phase.TAPER, Phase.TAPER, Phase.HOLD, Phase.CROSSOVER, Phase.STOP]
    for index in range(1, rng.randrange(2, 30)):
        days = rng.choice(lengths)
        cut = D(rng.randrange(0, 40)) / 10 * value / 10
        value = max(D(0), value - cut if whole or rng.random() < 0.8 else value + cut)
        if rng.random() < 0.2:  # 28 significant digits, as the engine's divisions give
            value = max(D(0), value - D(1) / D(3))
        phase = rng.choice(phases if not whole or rng.random() < 0.3 else phases[:2])
        end = day + datetime.timedelta(days=max(days - 1, 0))
        steps.append(Step(index, day, end, days, value, D(0), phase, (), value))
        day += datetime.timedelta(days=days)
    if rng.random() < 0.6:
        steps.append(Step(len(steps) + 1, day, day, 0, D(0), D(0), Phase.STOP, (), D(0)))
    return start, tuple(steps)


@pytest.mark.parametrize("seed", range(300))
def test_the_pairwise_window_is_the_window_walk(seed: int) -> None:
    """Where every step but the last spans a 14-day window and the DE never rises,
    _check_pairs gives exactly the issues _check_window gives (and the day-by-day reading)."""
    from decimal import localcontext

    from schedules.engine import guardrails

    rng = random.Random(seed)
    start, steps = _random_steps(rng, whole=True)
    values = [step.equivalent_exact for step in steps]
    assert guardrails._never_rises(values, start)
    assert guardrails._whole_windows(steps, [step.days for step in steps], start)
    limit = D(rng.choice(["25", "10", "5", "20"]))
    threshold = D(rng.choice(["1", "0.5", "2", "5"]))
    with localcontext(CONTEXT):
        walked: tuple[list, list] = ([], [])
        guardrails._check_window(steps, start, limit, threshold, *walked)
        paired: tuple[list, list] = ([], [])
        guardrails._check_pairs(steps, values, start, limit, threshold, *paired)
        by_days = _window_by_days(steps, start, limit, threshold)
    assert paired == walked
    rule = guardrails.MAX_REDUCTION.rule
    assert [issue.step for issue in paired[0] if issue.rule == rule] == by_days


def test_never_rises_and_whole_windows_refuse_what_they_must() -> None:
    """The shortcuts' conditions: a rise, a short step before the last, a zero-day last step
    that is not a stop, a start of 0 are each refused."""
    from schedules.engine import guardrails

    day = datetime.date(2027, 1, 4)

    def step(index: int, days: int, value: str, phase: Phase = Phase.TAPER) -> Step:
        return Step(index, day, day, days, D(value), D(0), phase, (), D(value))

    assert guardrails._never_rises([D(9), D(9), D(8)], D(10))
    assert not guardrails._never_rises([D(9), D("9.5")], D(10))
    assert not guardrails._never_rises([D(11)], D(10))
    ok = (step(1, 14, "9"), step(2, 3, "8"))
    assert guardrails._whole_windows(ok, [14, 3], D(10))
    assert not guardrails._whole_windows(ok, [14, 3], D(0))
    assert not guardrails._whole_windows((step(1, 13, "9"), step(2, 14, "8")), [13, 14], D(10))
    assert not guardrails._whole_windows((step(1, 14, "9"), step(2, 0, "8")), [14, 0], D(10))
    stop = (step(1, 14, "9"), step(2, 0, "0", Phase.STOP))
    assert guardrails._whole_windows(stop, [14, 0], D(10))


@pytest.mark.parametrize("seed", range(200))
def test_check_plan_with_its_shortcuts_is_check_plan_without_them(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check_plan as it runs (pairwise window, the no-increase loop skipped) gives what it
    gives with both shortcuts off (_never_rises answering False), on any steps."""
    from decimal import localcontext

    from schedules.engine import guardrails

    rng = random.Random(seed)
    start, steps = _random_steps(rng, whole=rng.random() < 0.5)
    kwargs = {
        "start_equivalent": start,
        "max_reduction_percent": D(rng.choice(["25", "10"])),
        "stop_threshold": D(rng.choice(["1", "2"])),
        "return_to_previous": {rng.randrange(1, 5)},
    }
    with localcontext(CONTEXT):
        fast = guardrails.check_plan(steps, **kwargs)
        monkeypatch.setattr(guardrails, "_never_rises", lambda values, start: False)
        plain = guardrails.check_plan(steps, **kwargs)
    assert fast == plain


def _plausible_plain(
    steps: tuple[Step, ...], start: dict[str, D], limits: dict[str, D | None]
) -> list[tuple[int | None, str, D]]:
    """The plausible-dose rule read plainly: the start regimen, then each step's daily total
    per drug; each drug reported once, first where it is above its limit."""
    found: list[tuple[int | None, str, D]] = []
    reported: set[str] = set()
    for drug in sorted(start):
        limit = limits.get(drug)
        if limit is not None and start[drug] > limit:
            reported.add(drug)
            found.append((None, drug, start[drug]))
    for step in steps:
        totals: dict[str, D] = {}
        for dose in step.doses:
            totals[dose.drug] = totals.get(dose.drug, D(0)) + dose.mg
        for drug, total in totals.items():
            limit = limits.get(drug)
            if limit is not None and total > limit and drug not in reported:
                reported.add(drug)
                found.append((step.index, drug, total))
    return found


@pytest.mark.parametrize("seed", range(200))
def test_the_plausible_dose_check_is_the_rule_read_plainly(seed: int) -> None:
    """_check_plausible's shortcuts (a dose within the lowest limit, no limits at all, one
    addition for two doses) report what the plain per-drug reading reports."""
    from decimal import localcontext

    from schedules.engine import Dose, Slot, guardrails

    rng = random.Random(seed)
    drugs = ["diazepam", "lorazepam", "zopiclone"]
    limits: dict[str, D | None] = {
        drug: rng.choice([None, D(rng.randrange(1, 60))]) for drug in drugs
    }
    start = {drug: D(rng.randrange(0, 50)) for drug in rng.sample(drugs, rng.randrange(1, 3))}
    day = datetime.date(2027, 1, 4)
    steps = []
    for index in range(1, rng.randrange(2, 12)):
        doses = tuple(
            Dose(rng.choice(list(Slot)), rng.choice(drugs), D(rng.randrange(1, 80)) / 4, ())
            for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4]))
        )
        steps.append(Step(index, day, day, 14, D(1), D(0), Phase.TAPER, doses, D(1)))
    violations: list = []
    with localcontext(CONTEXT):
        guardrails._check_plausible(tuple(steps), start, limits, {}, violations)  # type: ignore[arg-type]
    expected = _plausible_plain(tuple(steps), start, limits)
    assert [issue.step for issue in violations] == [step for step, _, _ in expected]
    for issue, (_, drug, total) in zip(violations, expected, strict=True):
        assert f"{drug} {fmt(total)} mg a day" in issue.message


def test_a_rule_fills_its_message_as_str_format_does() -> None:
    """Rule.issue fills a %-template made from the message: the text is the message's
    str.format with the same values (str, int, Decimal, None; literal % signs kept)."""
    from string import Formatter

    from schedules.engine import guardrails

    samples: list[object] = ["5 %", 7, D("12.50"), None, D("1E+2"), "{x}"]
    rules = [value for value in vars(guardrails).values() if isinstance(value, guardrails.Rule)]
    assert len(rules) >= len(guardrails.RULES)
    for n, rule in enumerate(rules):
        fields = {f for _, f, _, _ in Formatter().parse(rule.message) if f and f != "step"}
        values = {field: samples[(n + k) % len(samples)] for k, field in enumerate(sorted(fields))}
        for step in (None, 3):
            issue = rule.issue(step, **values)
            assert issue.message == rule.message.format(step=step, **values)
            assert (issue.rule, issue.step, issue.source) == (rule.rule, step, rule.source_label)
    note = guardrails._FORCED_CUT_NOTE % {"before": "2.5"}
    assert note == guardrails.FORCED_CUT_NOTE.format(before="2.5")
    with pytest.raises(ValueError, match="plain name"):
        guardrails._printf_template("{mg:.2f} mg")
    for message in ("a {{b}} {c} 5% {{d}} e%", "{c}", "no field, 5% {{x}}", "{c} {{", "%{c}%"):
        head, tail = guardrails._printf_parts(message)
        assert head % {"c": "7%"} + tail == message.format(c="7%")


def _property_bodies(count: int) -> list[tuple[int, dict]]:
    from tests.schedules.engine.test_properties import _body

    rng = random.Random(9)
    bodies = []
    while len(bodies) < count:
        index, body = _body(tuple(rng.randrange(1 << 12) for _ in range(7)))
        if body:
            if rng.random() < 0.3:
                body["holds"] = [{"step": 2, "days": rng.choice([7, 30, 70])}]
            bodies.append((index, body))
    return bodies


def test_finish_skips_only_checks_that_give_nothing() -> None:
    """_issues calls check_lengths only with a step over 8 weeks or a plan over 3 years, and
    check_crossover only for a switch: every warning check_lengths gives on a plan's steps is
    among the plan's warnings, and a plan without a switch has no cross-over stage (so
    check_crossover gives nothing)."""
    from decimal import localcontext

    from schedules.engine import PlanInputError
    from schedules.engine.guardrails import check_crossover, check_lengths
    from tests.schedules.engine.test_properties import references

    built = long_steps = 0
    for index, body in _property_bodies(150):
        reference = references()[index]
        try:
            request = parse_plan_request(body, reference)
            plan = build_plan(request, reference)
        except PlanInputError:
            continue
        built += 1
        lengths = {(issue.rule, issue.step) for issue in check_lengths(plan.steps, {}, "")}
        assert lengths <= {(issue.rule, issue.step) for issue in plan.warnings}
        long_steps += bool(lengths)
        if not any(step.phase is Phase.CROSSOVER for step in plan.steps):
            continue
        assert request.switch_to_diazepam and any(
            entry.drug != "diazepam" for entry in request.regimen
        )
    assert built > 50 and long_steps > 10
    with localcontext(CONTEXT):
        plain = build_plan(parse_plan_request(request_body(), references()[0]), references()[0])
        for ashton in (True, False):
            assert check_crossover(plain.steps, ashton=ashton, start_equivalent=D(20)) == []


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


# -- the plan's issues (r2-issues) -----------------------------------------------------------


def test_a_rules_positional_template_gives_its_named_template() -> None:
    """Rule.issue fills a positional %-template with the fields' values picked in order: the
    text is what the named template (and str.format) gives, for fields used twice, in any
    order, one field and none."""
    from schedules.engine import guardrails

    messages = [
        rule.message for rule in vars(guardrails).values() if isinstance(rule, guardrails.Rule)
    ]
    messages += ["{b} then {a} then {b} 5% {{x}} end", "{a}", "no field 5%", "{a}{b}", "%{a}%"]
    values: dict[str, object] = {"a": "7%", "b": D("1.50"), "step": 3}
    for message in messages:
        names = {name for _, name, _, _ in guardrails._FORMAT_PARSE(message) if name}
        filled = {name: values.get(name, f"<{name}>") for name in names | {"step"}}
        template, pick, tail = guardrails._printf_positional(message)
        head, plain_tail = guardrails._printf_parts(message)
        assert template % pick(filled) + tail == head % filled + plain_tail
        assert template % pick(filled) + tail == message.format(**filled)


def test_sort_issues_of_none_or_one_issue_and_of_sorted_violations() -> None:
    """sort_issues gives a fresh copy of a list of none or one issue (what sorting gives), and
    sorting check_plan's violations (explained or not) again changes nothing, so _issues
    sorts them only with the cautions' violations."""
    from schedules.engine import guardrails
    from schedules.engine.guardrails import MAX_REDUCTION, MIN_STEP_DAYS, sort_issues

    one = [MIN_STEP_DAYS.issue(3, days=5)]
    for issues in ([], one):
        made = sort_issues(issues)
        assert made == sorted(issues, key=guardrails._order) and made is not issues
    mixed = [
        MIN_STEP_DAYS.issue(4, days=5),
        MAX_REDUCTION.issue(2, before="2", after="1", percent="50", limit="25"),
        guardrails.PRIVATE_ONLY.issue(None, drug="Alprazolam"),
        MIN_STEP_DAYS.issue(2, days=3),
    ]
    once = sort_issues(mixed)
    assert once == sorted(mixed, key=guardrails._order)
    assert sort_issues(once) == once


# -- the steps' figures (r2-steps): rounding and cut memoised by the equivalent's digits ------


def _plain_figures(steps: tuple[Step, ...]) -> list[tuple[str, str]]:
    """Each step's equivalent_mg and reduction_percent as _finish worked them out before
    the memo: the 0.01 half-even rounding, and the 0.1 half-even rounding of the cut from the
    step before (0 for the first step or after a step of 0), as strings (digits and all)."""
    from decimal import localcontext

    from schedules.engine.units import CENT, HUNDRED, TENTH

    figures = []
    previous = D(0)
    with localcontext(CONTEXT):
        for step in steps:
            exact = step.equivalent_exact
            cut = (
                CONTEXT.quantize((previous - exact) * HUNDRED / previous, TENTH)
                if previous
                else D(0)
            )
            figures.append((str(CONTEXT.quantize(exact, CENT)), str(cut)))
            previous = exact
    return figures


def test_memoised_step_figures_are_the_plain_ones(data_ref: Reference) -> None:
    """With the memo of step figures empty, then full from the same plans (every figure a
    hit), and on plans of other drugs in between: every step's rounded equivalent and
    reduction percent have the digits the plain arithmetic gives, and their dict texts are
    fmt() of them."""
    from schedules.engine import types

    types.STEP_FIGURES.clear()
    checked = 0
    for _ in range(2):  # the first run fills the memo, the second reads it
        for kind, answer in _plans(data_ref):
            if kind != "plan":
                continue
            steps = answer.steps
            assert [(str(s.equivalent_mg), str(s.reduction_percent)) for s in steps] == (
                _plain_figures(steps)
            )
            for step, form in zip(steps, answer.to_dict()["steps"], strict=True):
                assert form["equivalent_mg"] == fmt(step.equivalent_mg)
                assert form["reduction_percent"] == fmt(step.reduction_percent)
                checked += 1
    assert checked > 500
    assert types.STEP_FIGURES  # the memo was used


def test_equal_figures_with_other_digits_are_formatted_from_their_own_text() -> None:
    """_steps_to_dicts formats each figure from its own str(): an equal figure with other
    digits gets its own (equal) text, whatever the memo holds."""
    from schedules.engine import types

    kept = D("12.50")
    day = datetime.date(2027, 1, 4)
    other = D("12.5000")
    steps = (
        Step(1, day, day, 1, kept, kept, Phase.TAPER, (), kept),
        Step(2, day, day, 1, other, other, Phase.TAPER, (), other),
    )
    forms = types._steps_to_dicts(steps)
    assert forms[0]["equivalent_mg"] == forms[0]["reduction_percent"] == fmt(kept)
    assert forms[1]["equivalent_mg"] == forms[1]["reduction_percent"] == fmt(other)


def test_kept_days_are_the_plain_dates(data_ref: Reference) -> None:
    """_finish's dates from DAYS (kept by ordinal) are the dates fromordinal gives: the first
    step starts on the request's start date, every step on the day after the step before
    ends, its end is start + days - 1 (the stop step's its start); with DAYS empty, then full."""
    from schedules.engine import types

    assert types.day_of(738000) == datetime.date.fromordinal(738000)
    assert types.DAYS[738000] == datetime.date.fromordinal(738000)
    bodies = _taper_bodies()
    types.DAYS.clear()
    checked = 0
    for _ in range(2):  # the first run fills DAYS, the second reads it
        for body, (kind, answer) in zip(bodies, _plans(data_ref), strict=True):
            if kind != "plan":
                continue
            day = parse_plan_request(body, data_ref).start_date
            for step in answer.steps:
                assert step.start_date == day
                end = day if step.phase is Phase.STOP else day + datetime.timedelta(step.days - 1)
                assert step.end_date == end
                assert types._steps_to_dicts((step,))[0]["end_date"] == end.isoformat()
                day += datetime.timedelta(days=step.days)
                checked += 1
    assert checked > 1000

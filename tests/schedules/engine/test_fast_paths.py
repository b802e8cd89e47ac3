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

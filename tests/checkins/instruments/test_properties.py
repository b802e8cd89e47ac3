"""Properties: total is the sum of the items, 0 <= total <= max, band is None iff partial."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from checkins.instruments import (
    CIWA_B,
    Action,
    InstrumentInputError,
    WeekPoint,
    assess,
    score,
    suggest,
)
from tests.checkins.instruments.helpers import OBSERVED, SELF

value = st.integers(0, 4)
raw_value = st.one_of(value, value.map(str))
self_report = st.fixed_dictionaries(dict.fromkeys(SELF, raw_value))
observed = st.one_of(
    st.none(), st.just({}), st.fixed_dictionaries(dict.fromkeys(OBSERVED, raw_value))
)


@given(self_report, observed)
def test_total_is_the_sum_and_band_is_none_iff_partial(answers, seen):
    result = score(CIWA_B, answers, seen)
    raw = {**answers, **(seen or {})}
    assert result.total == sum(int(v) for v in raw.values())
    assert result.values == {k: int(v) for k, v in raw.items()}
    assert 0 <= result.total <= result.max
    assert result.max == (80 if seen else 68)
    assert result.partial is (not seen)
    assert (result.band is None) is result.partial
    if result.band is not None:
        assert result.band.low <= result.total <= result.band.high


@given(st.dictionaries(st.sampled_from(SELF), value), observed)
def test_with_missing_items_allowed_the_max_counts_only_answered_items(answers, seen):
    result = score(CIWA_B, answers, seen, allow_missing=True)
    assert result.total == sum(answers.values()) + sum(int(v) for v in (seen or {}).values())
    assert result.max == 4 * (len(answers) + len(seen or {}))
    assert 0 <= result.total <= result.max
    assert result.partial is (len(answers) < 17 or not seen)
    assert (result.band is None) is result.partial


json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10)
    | st.floats(allow_nan=False)
    | st.text(max_size=3),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=5,
)
json_body = st.dictionaries(st.sampled_from([*SELF, *OBSERVED, "0", "21", "x"]), json_value)


@given(json_body, st.one_of(st.none(), json_body), json_value)
def test_any_json_body_is_assessed_or_rejected_with_input_errors(answers, seen, flags):
    errors: dict[str, list[str]] | None = None
    try:
        result = assess(CIWA_B, answers, seen, flags)
    except InstrumentInputError as exc:
        errors = exc.errors
    if errors is not None:
        assert errors
        assert all(isinstance(m, str) for ms in errors.values() for m in ms)
        return
    assert 0 <= result.total <= result.max
    assert (result.band is None) is result.partial
    if result.red_flags.any or result.total >= 41:
        assert result.urgent


@st.composite
def histories(draw):
    count = draw(st.integers(1, 8))
    day = date(2027, 1, 4)
    points = []
    cut = None
    for _ in range(count):
        day += timedelta(days=draw(st.integers(1, 14)))
        if draw(st.booleans()):
            cut = day - timedelta(days=draw(st.integers(0, 3)))
        maximum = draw(st.sampled_from([68, 80]))
        points.append(
            WeekPoint(
                on=day,
                total=draw(st.integers(0, maximum)),
                max=maximum,
                partial=maximum == 68,
                red_flag=draw(st.booleans()),
                urgent=draw(st.booleans()),
                last_reduction=cut,
            )
        )
    return points


@given(histories())
def test_suggest_is_deterministic_and_escalates_iff_the_latest_is_flagged(history):
    first = suggest(history)
    assert suggest(list(history)) == first
    assert first.action in set(Action)
    assert first.source == first.rule.source
    latest = history[-1]
    assert (first.action is Action.ESCALATE) is (latest.red_flag or latest.urgent)

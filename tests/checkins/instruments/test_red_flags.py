"""Red flags and urgency (reference §4c, §7.15)."""

from __future__ import annotations

import pytest

from checkins.instruments import (
    CIWA_B,
    RED_FLAGS,
    InstrumentInputError,
    assess,
    parse_red_flags,
)
from tests.checkins.instruments.helpers import NO_FLAGS, SELF, answers, complete, observed, spread

REQUIRED = ["seizure", "confusion", "hallucinations", "suicidal_thoughts"]


def test_the_four_required_flags_and_optional_chest_pain():
    assert [f.key for f in RED_FLAGS if f.required] == REQUIRED
    assert [f.key for f in RED_FLAGS if not f.required] == ["chest_pain"]


@pytest.mark.parametrize(
    ("raw", "value"),
    [(True, True), (False, False), ("true", True), ("No", False), ("YES", True), ("false", False)],
)
def test_yes_no_answers(raw, value):
    flags = parse_red_flags({**NO_FLAGS, "seizure": raw})
    assert flags.get("seizure") is value
    assert flags.any is value


@pytest.mark.parametrize("raw", [1, 0, None, "maybe", "", 1.0, [True]])
def test_anything_else_is_an_error(raw):
    with pytest.raises(InstrumentInputError) as caught:
        parse_red_flags({**NO_FLAGS, "confusion": raw})
    assert list(caught.value.errors) == ["red_flags.confusion"]


@pytest.mark.parametrize("missing", REQUIRED)
def test_each_required_flag_must_be_answered(missing):
    raw = {k: v for k, v in NO_FLAGS.items() if k != missing}
    with pytest.raises(InstrumentInputError) as caught:
        parse_red_flags(raw)
    assert list(caught.value.errors) == [f"red_flags.{missing}"]


def test_unknown_flags_and_non_objects_are_errors():
    with pytest.raises(InstrumentInputError) as caught:
        parse_red_flags({**NO_FLAGS, "headache": True})
    assert list(caught.value.errors) == ["red_flags.headache"]
    for raw in (None, [], "no"):
        with pytest.raises(InstrumentInputError) as caught:
            parse_red_flags(raw)
        assert list(caught.value.errors) == ["red_flags"]


def test_chest_pain_is_absent_when_not_asked():
    assert parse_red_flags(NO_FLAGS).get("chest_pain") is None
    assert parse_red_flags({**NO_FLAGS, "chest_pain": True}).yes == ("chest_pain",)


@pytest.mark.parametrize("flag", [*REQUIRED, "chest_pain"])
def test_any_red_flag_yes_is_urgent_whatever_the_score(flag):
    result = assess(CIWA_B, answers(0), observed(0), {**NO_FLAGS, flag: True})
    assert result.urgent is True
    assert result.total == 0
    assert [r.key for r in result.urgency.reasons] == [f"red_flag:{flag}"]


@pytest.mark.parametrize(
    ("total", "urgent"),
    [(0, False), (20, False), (40, False), (41, True), (60, True), (61, True), (80, True)],
)
def test_complete_total_in_the_severe_band_or_above_is_urgent(total, urgent):
    given, seen = complete(total)
    result = assess(CIWA_B, given, seen, NO_FLAGS)
    assert result.urgent is urgent
    assert [r.key for r in result.urgency.reasons] == (["severe_total"] if urgent else [])


@pytest.mark.parametrize(("total", "urgent"), [(40, False), (41, True), (68, True)])
def test_partial_total_of_41_or_more_is_urgent_though_unbanded(total, urgent):
    result = assess(CIWA_B, spread(total, SELF), None, NO_FLAGS)
    assert result.band is None
    assert result.partial is True
    assert result.urgent is urgent


@pytest.mark.parametrize(
    ("alert", "urgent"), [(None, False), (True, False), ("yes", False), (False, True), ("no", True)]
)
def test_observer_answering_no_to_alert_and_orientated_is_urgent(alert, urgent):
    result = assess(CIWA_B, answers(0), observed(0), NO_FLAGS, alert=alert)
    assert result.urgent is urgent
    if urgent:
        assert [r.key for r in result.urgency.reasons] == ["not_alert"]


def test_all_reasons_are_listed_with_sources():
    given, seen = complete(50)
    result = assess(CIWA_B, given, seen, {**NO_FLAGS, "seizure": True}, alert=False)
    keys = [r.key for r in result.urgency.reasons]
    assert keys == ["red_flag:seizure", "not_alert", "severe_total"]
    assert all(r.source and r.message for r in result.urgency.reasons)

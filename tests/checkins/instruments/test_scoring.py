"""Scoring and banding (reference §4a, §7.13; DESIGN.md check-in contract)."""

from __future__ import annotations

import pytest

from checkins.instruments import BWSQ, CIWA_B, InstrumentInputError, Rater, score
from tests.checkins.instruments.helpers import OBSERVED, SELF, answers, complete, observed, spread


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none"),
        (1, "mild"),
        (20, "mild"),
        (21, "moderate"),
        (40, "moderate"),
        (41, "severe"),
        (60, "severe"),
        (61, "very_severe"),
        (80, "very_severe"),
    ],
)
def test_complete_totals_are_banded_at_every_boundary(total, band):
    given, seen = complete(total)
    result = score(CIWA_B, given, seen)
    assert result.total == total
    assert result.max == 80
    assert result.partial is False
    assert result.missing == ()
    assert result.band is not None
    assert result.band.key == band


@pytest.mark.parametrize("total", [0, 1, 20, 21, 40, 41, 60, 61, 68])
def test_self_report_only_is_partial_out_of_68_and_never_banded(total):
    result = score(CIWA_B, spread(total, SELF))
    assert (result.total, result.max, result.partial, result.band) == (total, 68, True, None)
    assert result.missing == ("18", "19", "20")


@pytest.mark.parametrize("empty", [None, {}])
def test_no_observer_is_none_or_empty(empty):
    result = score(CIWA_B, answers(1), empty)
    assert (result.total, result.max, result.partial) == (17, 68, True)


def test_worked_example_from_the_docstring():
    assert score(CIWA_B, answers(2)).total == 34
    result = score(CIWA_B, answers(2), observed(1))
    assert (result.total, result.max, result.band.key if result.band else None) == (
        37,
        80,
        "moderate",
    )


def test_per_item_values_and_raters_are_kept():
    result = score(CIWA_B, answers(0, _7="3", _12=4), {"18": 1, "19": "2", "20": 0})
    assert result.values["7"] == 3
    assert result.values["12"] == 4
    assert result.values["19"] == 2
    assert len(result.values) == 20
    raters = {item.key: item.rater for item in result.items}
    assert raters["17"] is Rater.PATIENT
    assert raters["18"] is Rater.OBSERVER
    assert result.instrument_id == "ciwa-b"
    assert result.instrument_version == CIWA_B.version


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (0, True),
        (4, True),
        ("0", True),
        ("4", True),
        (5, False),
        (-1, False),
        ("5", False),
        ("-1", False),
        (True, False),
        (False, False),
        (2.0, False),
        (2.5, False),
        ("2.0", False),
        (" 2", False),
        ("two", False),
        ("", False),
        ("٢", False),  # an Arabic-Indic digit: str.isdigit() would take it
        (None, False),
        ([2], False),
    ],
)
def test_item_values(value, ok):
    body = answers(0, _7=value)
    if ok:
        assert score(CIWA_B, body).values["7"] == int(value)
    else:
        with pytest.raises(InstrumentInputError) as caught:
            score(CIWA_B, body)
        assert list(caught.value.errors) == ["answers.7"]


def test_bools_get_their_own_message():
    with pytest.raises(InstrumentInputError) as caught:
        score(CIWA_B, answers(0, _3=True))
    assert "not true or false" in caught.value.errors["answers.3"][0]


def test_every_bad_item_is_reported_under_its_own_path():
    body = answers(0, _1=9, _5="x")
    del body["17"]
    body["21"] = 1
    body["18"] = 2
    with pytest.raises(InstrumentInputError) as caught:
        score(CIWA_B, body, {"19": 1, "7": 0, "20": 7})
    errors = caught.value.errors
    assert set(errors) == {
        "answers.1",
        "answers.5",
        "answers.17",
        "answers.21",
        "answers.18",
        "observed.7",
        "observed.18",
        "observed.20",
    }
    assert "send it in observed" in errors["answers.18"][0]
    assert "send it in answers" in errors["observed.7"][0]
    assert "missing" in errors["answers.17"][0]
    assert "missing" in errors["observed.18"][0]
    assert "got 9" in errors["answers.1"][0]
    assert "answers.1" in str(caught.value)


def test_missing_self_report_items_are_an_error_unless_allowed():
    body = answers(2)
    del body["4"], body["9"]
    with pytest.raises(InstrumentInputError) as caught:
        score(CIWA_B, body, observed(1))
    assert set(caught.value.errors) == {"answers.4", "answers.9"}

    result = score(CIWA_B, body, observed(1), allow_missing=True)
    assert (result.total, result.max, result.partial, result.band) == (33, 72, True, None)
    assert result.missing == ("4", "9")


@pytest.mark.parametrize("given", [["18"], ["18", "19"], ["20"]])
def test_observed_items_come_all_together_or_not_at_all(given):
    with pytest.raises(InstrumentInputError) as caught:
        score(CIWA_B, answers(0), dict.fromkeys(given, 1))
    assert set(caught.value.errors) == {f"observed.{k}" for k in OBSERVED if k not in given}


@pytest.mark.parametrize(
    ("raw", "path"), [(None, "answers"), ([1, 2], "answers"), ("x", "answers")]
)
def test_answers_must_be_an_object(raw, path):
    with pytest.raises(InstrumentInputError) as caught:
        score(CIWA_B, raw)
    assert path in caught.value.errors


def test_observed_must_be_an_object():
    with pytest.raises(InstrumentInputError) as caught:
        score(CIWA_B, answers(0), [1, 1, 1])
    assert list(caught.value.errors) == ["observed"]


def test_item_keys_are_strings():
    body: dict[object, object] = dict(answers(0))
    del body["7"]
    body[7] = 1
    with pytest.raises(InstrumentInputError) as caught:
        score(CIWA_B, body)
    assert set(caught.value.errors) == {"answers.7"}
    assert any("strings" in m for m in caught.value.errors["answers.7"])


def test_an_unvalidated_instrument_gives_totals_only():
    body = dict.fromkeys((str(n) for n in range(1, 21)), 2)
    result = score(BWSQ, body)
    assert (result.total, result.max, result.partial, result.band) == (40, 40, False, None)
    with pytest.raises(InstrumentInputError) as caught:
        score(BWSQ, {**body, "3": 3})
    assert "from 0 to 2" in caught.value.errors["answers.3"][0]
    with pytest.raises(InstrumentInputError) as caught:
        score(BWSQ, body, {"18": 1})
    assert set(caught.value.errors) == {"observed.18"}

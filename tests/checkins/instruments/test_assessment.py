"""assess(): the DESIGN.md check-in response, and errors from every part at once."""

from __future__ import annotations

import json

import pytest

from checkins.instruments import BWSQ, CIWA_B, InstrumentInputError, assess
from tests.checkins.instruments.helpers import NO_FLAGS, answers, observed


def test_response_has_the_contract_fields():
    body = assess(CIWA_B, answers(1), observed(2), NO_FLAGS).to_dict()
    assert {k: body[k] for k in ("total", "max", "band", "partial", "urgent")} == {
        "total": 23,
        "max": 80,
        "band": "moderate",
        "partial": False,
        "urgent": False,
    }
    assert body["instrument"] == "ciwa-b"
    assert body["items"]["20"] == 2
    json.dumps(body)  # JSON-ready


def test_remote_self_report_response():
    body = assess(CIWA_B, answers(1), None, NO_FLAGS).to_dict()
    assert (body["total"], body["max"], body["band"], body["partial"]) == (17, 68, None, True)
    assert body["missing"] == ["18", "19", "20"]


def test_errors_from_answers_observed_flags_and_alert_come_together():
    with pytest.raises(InstrumentInputError) as caught:
        assess(
            CIWA_B,
            answers(0, _2=7),
            {"18": 1},
            {"seizure": "perhaps"},
            alert=3,
        )
    assert set(caught.value.errors) == {
        "answers.2",
        "observed.19",
        "observed.20",
        "red_flags.seizure",
        "red_flags.confusion",
        "red_flags.hallucinations",
        "red_flags.suicidal_thoughts",
        "alert",
    }


def test_red_flags_are_required():
    with pytest.raises(InstrumentInputError) as caught:
        assess(CIWA_B, answers(0))
    assert list(caught.value.errors) == ["red_flags"]


def test_alert_only_for_instruments_with_a_consciousness_check():
    body = dict.fromkeys((str(n) for n in range(1, 21)), 0)
    with pytest.raises(InstrumentInputError) as caught:
        assess(BWSQ, body, None, NO_FLAGS, alert=True)
    assert list(caught.value.errors) == ["alert"]

"""The builder form turns what a prescriber types into the engine's request body."""

from __future__ import annotations

import datetime

import pytest

from schedules.engine.defaults import default_request
from schedules.forms import PlanForm, SignForm, initial_from_request
from schedules.selectors import drug_list
from schedules.services.plans import OverrideInput

pytestmark = pytest.mark.django_db


def make_form(**data):
    base = {
        "drug_1": "diazepam",
        "drug_1_morning": "10",
        "drug_1_night": "10",
        "strategy": "proportional",
        "reduction_percent": "10",
        "interval_days": "14",
        "switch_to_diazepam": "no",
        "target_mg": "0",
        "start_date": "2027-01-04",
        "country": "GB",
        "equivalence_source": "ashton-2007",
    }
    base.update(data)
    return PlanForm({k: v for k, v in base.items() if v is not None}, drugs=list(drug_list()))


def test_engine_body_matches_the_preview_api():
    form = make_form()
    assert form.is_valid(), form.errors
    assert form.engine_body() == default_request()


def test_linear_sends_step_mg_not_the_percentage():
    form = make_form(strategy="linear", step_mg="2", reduction_percent="10")
    assert form.is_valid(), form.errors
    body = form.engine_body()
    assert body["step_mg"] == "2" and body["reduction_percent"] is None


def test_two_drug_regimen_and_decimal_commas():
    form = make_form(drug_2="alprazolam", drug_2_midday="0,5")
    assert form.is_valid(), form.errors
    assert form.engine_body()["regimen"][1] == {"drug": "alprazolam", "doses": {"midday": "0.5"}}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"drug_1_morning": "", "drug_1_night": ""}, "drug_1_morning", "Enter at least one dose"),
        ({"drug_2_night": "1"}, "drug_2", "Choose the second drug"),
        ({"drug_2": "diazepam", "drug_2_night": "1"}, "drug_2", "same as the first"),
        ({"strategy": "linear", "step_mg": ""}, "step_mg", "Enter the mg to take off"),
        ({"start_date": "31/02/2027"}, "start_date", "Enter the start date as a date."),
        ({"drug_1_night": "1e3"}, "drug_1_night", "Enter the night dose as a number of mg"),
    ],
)
def test_specific_messages(data, field, message):
    form = make_form(**data)
    assert not form.is_valid()
    assert any(message in error for error in form.errors[field])


def test_edits_and_overrides_come_from_extra_fields():
    form = make_form(
        edit_3_days="21",
        edit_4_night="7.5",
        edit_4_drug="diazepam",
        edit_5_drug="diazepam",  # only the drug: no edit
        edit_6_return="1",
        **{"override__max-25-percent-per-14-days__4": " Agreed with patient "},
    )
    assert form.is_valid(), form.errors
    assert form.engine_body()["edits"] == [
        {"index": 3, "days": "21"},
        {"index": 4, "doses": {"night": "7.5"}, "drug": "diazepam", "replan": True},
        {"index": 6, "return_to_previous": True},
    ]
    assert form.overrides() == [
        OverrideInput("max-25-percent-per-14-days", 4, "Agreed with patient")
    ]


def test_engine_errors_map_to_fields():
    form = make_form(edit_3_days="21")
    assert form.is_valid()
    form.engine_body()
    form.add_plan_errors(
        {
            "regimen.0.doses.night": ["Dose must be greater than 0 mg."],
            "regimen.0.doses": ["Too much."],
            "edits.0.days": ["Must be a whole number."],
            "interval_days": ["Too long."],
            "holds.0.step": ["Step numbers start at 1."],
        }
    )
    assert form.errors["drug_1_night"] == ["Dose must be greater than 0 mg."]
    assert form.errors["interval_days"] == ["Too long."]
    assert form.extra_errors["edit_3"] == ["Must be a whole number."]
    assert form.extra_errors["drug_1_doses"] == ["Too much."]
    assert "Step numbers start at 1." in form.non_field_errors()


def test_initial_from_a_stored_request_round_trips():
    request = {
        "regimen": [{"drug": "alprazolam", "doses": {"morning": "1", "night": "1"}}],
        "strategy": "linear",
        "step_mg": "2",
        "interval_days": 21,
        "switch_to_diazepam": True,
        "target_mg": "0",
        "equivalence_source": "who-2009",
        "country": "US",
        "start_date": "2027-03-01",
        "edits": [{"index": 2, "days": 10}],
        "holds": [{"step": 1, "days": 7}],
    }
    initial = initial_from_request(request)
    assert initial["drug_1"] == "alprazolam" and initial["drug_1_night"] == "1"
    assert initial["switch_to_diazepam"] == "yes"
    assert initial["start_date"] == datetime.date(2027, 3, 1)
    assert initial["edit_2_days"] == 10
    form = make_form(**{k: str(v) for k, v in initial.items()}, reduction_percent=None)
    assert form.is_valid(), form.errors
    body = form.engine_body()
    assert body["holds"] == [{"step": 1, "days": 7}]
    assert body["edits"] == [{"index": 2, "days": "10"}]
    assert body["step_mg"] == "2" and body["interval_days"] == 21


def test_sign_form_needs_confirmation_and_a_reason_per_violation():
    violations = [{"rule": "max-25-percent-per-14-days", "step": 9, "message": "m"}]
    form = SignForm({}, violations=violations, stored={})
    assert not form.is_valid()
    assert "Tick the box" in form.errors["confirm"][0]
    assert "at step 9" in form.errors["override__max-25-percent-per-14-days__9"][0]
    form = SignForm(
        {"confirm": "on", "override__max-25-percent-per-14-days__9": "Reviewed with patient"},
        violations=violations,
        stored={},
    )
    assert form.is_valid()
    assert form.overrides() == [
        OverrideInput("max-25-percent-per-14-days", 9, "Reviewed with patient")
    ]


@pytest.mark.parametrize(
    "holds",
    [
        "[" * 100_000 + "]" * 100_000,
        "[" + ", ".join(['{"step": 1, "days": 7}'] * 200) + "]",
        '[{"step": 1, "days": 7, "note": "\\ud800"}]',
    ],
    ids=["100000-deep", "too-long", "lone-surrogate"],
)
def test_a_hostile_holds_field_is_ignored_not_a_500(holds):
    form = make_form(holds=holds)
    assert form.is_valid(), form.errors
    assert "holds" not in form.engine_body()

"""Bad input: every case is a PlanInputError naming the field path, with a specific message."""

from __future__ import annotations

import datetime
from decimal import Decimal as D
from typing import Any

import pytest

from schedules.engine import (
    PlanInputError,
    PlanRequest,
    Reference,
    RegimenDrug,
    Slot,
    StrategyKind,
    build_plan,
    parse_plan_request,
)
from tests.schedules.engine.conftest import request_body

DIAZEPAM_NIGHT = [{"drug": "diazepam", "doses": {"night": "10"}}]


def errors(reference: Reference, body: Any) -> dict[str, list[str]]:
    with pytest.raises(PlanInputError) as caught:
        parse_plan_request(body, reference)
    return caught.value.errors


def only(reference: Reference, path: str, **changes: Any) -> str:
    """The single message for ``path`` (and no other field)."""
    found = errors(reference, request_body(**changes))
    assert list(found) == [path], found
    assert len(found[path]) == 1, found
    return found[path][0]


def test_a_valid_body_parses(ref: Reference) -> None:
    request = parse_plan_request(request_body(), ref)
    assert request.regimen == (
        RegimenDrug("diazepam", ((Slot.MORNING, D(10)), (Slot.NIGHT, D(10)))),
    )
    assert request.strategy is StrategyKind.PROPORTIONAL
    assert request.start_date == datetime.date(2027, 1, 4)
    assert request.max_reduction_percent == 25 and request.stop_threshold_mg == 1


def test_not_an_object(ref: Reference) -> None:
    assert errors(ref, ["regimen"]) == {
        "non_field_errors": ["Expected a JSON object with the plan request fields."]
    }


def test_unknown_fields_are_named(ref: Reference) -> None:
    message = only(ref, "reducton_percent", reducton_percent="10")
    assert message.startswith(
        "Unknown field. Known fields: allow_past_start, band_profile, country"
    )


def test_overrides_and_confirm_are_ignored(ref: Reference) -> None:
    with_extras = parse_plan_request(request_body(overrides=[{"rule": "x"}], confirm=True), ref)
    assert with_extras == parse_plan_request(request_body(), ref)


@pytest.mark.parametrize(
    ("regimen", "path", "words"),
    [
        (None, "regimen", "This field is required."),
        ([], "regimen", "Add at least one drug"),
        ("diazepam", "regimen", "Expected a list of drugs"),
        (["diazepam"], "regimen.0", 'Expected an object with "drug" and "doses"'),
        (
            [{"drug": "xanax", "doses": {"night": "1"}}],
            "regimen.0.drug",
            'Unknown drug "xanax". Known: alprazolam, clonazepam',
        ),
        ([{"drug": 5, "doses": {"night": "1"}}], "regimen.0.drug", "Give the drug as its name"),
        ([{"drug": "diazepam", "doses": {}}], "regimen.0.doses", "Give at least one dose"),
        ([{"drug": "diazepam"}], "regimen.0.doses", "Give at least one dose"),
        (
            [{"drug": "diazepam", "doses": {"noon": "5"}}],
            "regimen.0.doses.noon",
            'Unknown slot "noon". Use one of: morning, midday, evening, night.',
        ),
        (
            [{"drug": "diazepam", "doses": {"night": "0"}}],
            "regimen.0.doses.night",
            "Dose must be greater than 0 mg.",
        ),
        (
            [{"drug": "diazepam", "doses": {"night": "-5"}}],
            "regimen.0.doses.night",
            "Dose must be greater than 0 mg.",
        ),
        (
            [{"drug": "diazepam", "doses": {"night": "ten"}}],
            "regimen.0.doses.night",
            '"ten" is not a decimal number',
        ),
        (
            [{"drug": "diazepam", "doses": {"night": 10.0}}],
            "regimen.0.doses.night",
            "not as a JSON number with a fraction",
        ),
        (
            [{"drug": "diazepam", "doses": {"night": True}}],
            "regimen.0.doses.night",
            "not true/false",
        ),
        (
            [{"drug": "diazepam", "doses": {"night": "1e1"}}],
            "regimen.0.doses.night",
            "is not a decimal number",
        ),
        (
            [{"drug": "diazepam", "doses": {"night": "NaN"}}],
            "regimen.0.doses.night",
            "is not a decimal number",
        ),
        (
            [{"drug": "diazepam", "doses": {"night": "0.05"}}],
            "regimen.0.doses.night",
            "Diazepam 0.05 mg cannot be made from GB products (diazepam-2mg-tablet",
        ),
        (
            [{"drug": "diazepam", "doses": {"night": "600"}}],
            "regimen.0.doses",
            "Diazepam 600 mg a day is above 500 mg a day",
        ),
        (
            [{"drug": "diazepam", "doses": {"night": "10"}, "dose": 1}],
            "regimen.0.dose",
            "Unknown field",
        ),
    ],
)
def test_bad_regimens(ref: Reference, regimen: Any, path: str, words: str) -> None:
    assert words in only(ref, path, regimen=regimen)


def test_a_drug_listed_twice(ref: Reference) -> None:
    message = only(ref, "regimen.1.drug", regimen=DIAZEPAM_NIGHT * 2)
    assert message == ("Diazepam is listed twice (also regimen.0); put all its doses in one entry.")


def test_a_drug_without_products_in_the_country(ref: Reference) -> None:
    message = only(
        ref,
        "regimen.0.drug",
        regimen=[{"drug": "oxazepam", "doses": {"night": "10"}}],
        country="US",
    )
    assert message.startswith(
        "Oxazepam is not marketed in US, so neither a taper nor a gradual switch can be made "
        "from its products. To switch to diazepam, enter the patient's equivalent diazepam dose"
    )


def test_the_source_must_have_a_figure_for_every_drug(ref: Reference) -> None:
    message = only(
        ref,
        "equivalence_source",
        regimen=[{"drug": "zolpidem", "doses": {"night": "10"}}],
        equivalence_source="who-2009",
    )
    assert message == (
        "who-2009 gives no figure for zolpidem; choose one that does: ashton-2007, "
        "nhs-scotland-2024."
    )


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("country", "FR", 'Unknown country "FR". Known: GB, US, XX.'),
        ("country", None, "This field is required. Known: GB, US, XX."),
        ("equivalence_source", "bnf", 'Unknown equivalence source "bnf". Known: ashton-2007'),
        (
            "strategy",
            "fast",
            'Unknown strategy "fast". Use proportional, linear, banded or custom.',
        ),
        ("strategy", None, "This field is required."),
        ("interval_days", 0, "Must be a whole number of days from 1 to 365. Got 0."),
        ("interval_days", 366, "Must be a whole number of days from 1 to 365. Got 366."),
        ("interval_days", 14.5, "Must be a whole number of days from 1 to 365."),
        ("interval_days", True, "Must be a whole number of days from 1 to 365."),
        ("interval_days", "two weeks", "Must be a whole number of days from 1 to 365."),
        ("interval_days", None, "This field is required."),
        ("start_date", "2027-02-30", "2027-02-30 is not a real date"),
        ("start_date", "2027-13-01", "2027-13-01 is not a real date"),
        ("start_date", "04/01/2027", "is not a date in the form YYYY-MM-DD"),
        ("start_date", "2027-W01-1", "is not a date in the form YYYY-MM-DD"),
        ("start_date", 20270104, 'Expected a date as a string "YYYY-MM-DD"'),
        ("start_date", None, "This field is required."),
        ("start_date", "0001-01-01", "Choose a start date between 1900 and 2999."),
        ("switch_to_diazepam", "yes", "Expected true or false."),
        ("target_mg", "-1", "Must be 0 (stop) or more mg diazepam-equivalent a day."),
        ("target_mg", 2.5, "not as a JSON number with a fraction"),
        ("target_mg", "20", "must be below the starting dose, 20 mg diazepam-equivalent"),
        ("target_mg", "25", "must be below the starting dose"),
        ("reduction_percent", None, "Required for the proportional strategy"),
        ("reduction_percent", "0", "Must be greater than 0 and less than 100 (%); got 0."),
        ("reduction_percent", "100", "Must be greater than 0 and less than 100 (%); got 100."),
        ("reduction_percent", "-5", "Must be greater than 0 and less than 100"),
        ("reduction_percent", False, "not true/false"),
        ("max_reduction_percent", "30", "at most 25%"),
        ("max_reduction_percent", "0", "Must be greater than 0 and at most 25%"),
        ("band_profile", "middle", 'Unknown band profile "middle"'),
        ("stop_threshold_mg", "0", "Must be greater than 0 and at most 5 mg"),
        ("stop_threshold_mg", "6", "Must be greater than 0 and at most 5 mg"),
    ],
)
def test_bad_fields(ref: Reference, field: str, value: Any, words: str) -> None:
    assert words in only(ref, field, **{field: value})


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "Required for the linear strategy"),
        ("0", "Must be greater than 0 mg diazepam-equivalent; got 0."),
        ("-1", "Must be greater than 0 mg diazepam-equivalent"),
        (1.5, "not as a JSON number with a fraction"),
    ],
)
def test_linear_needs_a_positive_step(ref: Reference, value: Any, words: str) -> None:
    assert words in only(ref, "step_mg", strategy="linear", step_mg=value)


def test_intervals_of_1_to_6_days_are_allowed_with_a_warning(ref: Reference) -> None:
    request = parse_plan_request(request_body(interval_days=3), ref)
    plan = build_plan(request, ref)
    assert any(w.rule == "min-7-days-per-step" for w in plan.warnings)
    assert parse_plan_request(request_body(interval_days="14"), ref).interval_days == 14


def test_integers_are_accepted_where_milligrams_are_expected(ref: Reference) -> None:
    request = parse_plan_request(
        request_body(regimen=[{"drug": "diazepam", "doses": {"night": 10}}], reduction_percent=10),
        ref,
    )
    assert request.regimen[0].doses == ((Slot.NIGHT, D(10)),)
    assert request.reduction_percent == 10


def test_several_problems_are_reported_together(ref: Reference) -> None:
    found = errors(
        ref,
        request_body(
            regimen=[{"drug": "diazepam", "doses": {"night": "-1"}}],
            start_date="2027-02-30",
            strategy="fast",
        ),
    )
    assert set(found) == {"regimen.0.doses.night", "start_date", "strategy"}


@pytest.mark.parametrize(
    ("edits", "path", "words"),
    [
        ("none", "edits", "Expected a list of at most 500 edits."),
        (["x"], "edits.0", 'Expected an object like {"index": 3, "days": 21}.'),
        ([{"index": 0, "days": 7}], "edits.0.index", "Step numbers start at 1."),
        ([{"index": "two", "days": 7}], "edits.0.index", "Give the step number to edit"),
        ([{"index": 2}], "edits.0", "An edit needs days or doses"),
        ([{"index": 2, "days": 0}], "edits.0.days", "from 1 to 365"),
        (
            [{"index": 2, "doses": {"night": "-1"}}],
            "edits.0.doses.night",
            "Dose must be 0 mg or more",
        ),
        ([{"index": 2, "doses": {"noon": "1"}}], "edits.0.doses.noon", 'Unknown slot "noon"'),
        ([{"index": 2, "days": 7, "colour": "red"}], "edits.0.colour", "Unknown field"),
        (
            [{"index": 2, "return_to_previous": "yes"}],
            "edits.0.return_to_previous",
            "Expected true or false.",
        ),
    ],
)
def test_bad_edits(ref: Reference, edits: Any, path: str, words: str) -> None:
    assert words in only(ref, path, edits=edits)


@pytest.mark.parametrize(
    ("holds", "path", "words"),
    [
        ({"step": 1}, "holds", "Expected a list of at most 100 holds."),
        ([7], "holds.0", 'Expected an object like {"step": 3, "days": 14}.'),
        ([{"step": 0, "days": 7}], "holds.0.step", "Step numbers start at 1."),
        ([{"step": 2}], "holds.0.days", "This field is required."),
        ([{"step": 2, "days": 400}], "holds.0.days", "from 1 to 365"),
        ([{"step": True, "days": 7}], "holds.0.step", "Give the step number the hold follows"),
    ],
)
def test_bad_holds(ref: Reference, holds: Any, path: str, words: str) -> None:
    assert words in only(ref, path, holds=holds)


def test_a_switch_needs_diazepam_products(ref: Reference) -> None:
    bare = Reference(
        sources=ref.sources,
        drugs=ref.drugs,
        figures=ref.figures,
        products=tuple(p for p in ref.products if not (p.country == "XX" and p.drug == "diazepam")),
    )
    found = errors(
        bare,
        request_body(
            regimen=[{"drug": "zopiclone", "doses": {"night": "7.5"}}],
            country="XX",
            switch_to_diazepam=True,
        ),
    )
    assert found == {
        "switch_to_diazepam": [
            "No XX diazepam products are in the reference data, so a switch cannot be planned."
        ]
    }


def test_build_plan_validates_a_request_built_in_code(ref: Reference) -> None:
    request = PlanRequest(
        regimen=(RegimenDrug("diazepam", ((Slot.NIGHT, D(-2)),)),),
        strategy=StrategyKind.LINEAR,
        interval_days=0,
        equivalence_source="ashton-2007",
        country="GB",
        start_date=datetime.date(2027, 1, 4),
        step_mg=D(1),
    )
    with pytest.raises(PlanInputError) as caught:
        build_plan(request, ref)
    assert set(caught.value.errors) == {"interval_days", "regimen.0.doses.night"}

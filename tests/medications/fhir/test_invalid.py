"""Data that is not valid FHIR is refused as a whole, with every problem keyed."""

import copy

import pytest

from medications.fhir import BundleError, parse_bundle

from .conftest import load


def errors_of(data, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(BundleError) as caught:
        parse_bundle(data, **kwargs)
    return caught.value.errors


def test_several_structural_errors_are_all_reported_with_their_keys():
    errors = errors_of(load("06_not_valid_fhir.json"))
    assert errors == {
        "entry.0.resource.dosage": ["Expected a list, got an object."],
        "entry.1.resource.dosage.0.doseAndRate.0.doseQuantity.value": [
            'Expected a number, got "two".'
        ],
        "entry.2.resource": ["Missing: expected an object."],
        "entry.3.resource.status": ["Missing: expected a string."],
        "entry.4.resource.medicationCodeableConcept": ['Expected an object, got "Temazepam 10mg".'],
        "entry.4.resource.dosageInstruction.0.timing.repeat.frequency": [
            "Expected a positive integer, got 0."
        ],
        "entry.5.resource.resourceType": ["Missing: expected a string."],
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "Not a JSON object: got a list."),
        ("Bundle", 'Not a JSON object: got "Bundle".'),
        ({"resourceType": "Patient", "entry": []}, 'Not a FHIR Bundle: resourceType is "Patient".'),
        ({"entry": []}, "Not a FHIR Bundle: resourceType is missing."),
    ],
)
def test_not_a_bundle(data, message):
    assert errors_of(data)["bundle"] == [message]


def test_entry_missing_or_not_a_list():
    assert errors_of({"resourceType": "Bundle"}) == {
        "entry": ['Missing: a Bundle lists its resources in "entry".']
    }
    assert errors_of({"resourceType": "Bundle", "entry": {}}) == {
        "entry": ["Expected a list, got an object."]
    }


def test_an_empty_bundle_is_valid_and_imports_nothing():
    result = parse_bundle({"resourceType": "Bundle", "type": "collection", "entry": []})
    assert result.entries == () and result.ignored == ()


def test_strings_over_2000_characters():
    data = load("01_diazepam_three_times_daily.json")
    data["entry"][0]["resource"]["dosage"][0]["text"] = "x" * 2001
    assert errors_of(data) == {
        "entry.0.resource.dosage.0.text": ["Text of 2,001 characters: the limit is 2,000."]
    }


def test_wrong_types_in_timing_and_dose():
    data = load("01_diazepam_three_times_daily.json")
    dosage = data["entry"][0]["resource"]["dosage"][0]
    dosage["timing"]["repeat"]["frequency"] = 1.5
    dosage["timing"]["repeat"]["when"] = "NIGHT"
    dosage["doseAndRate"][0]["doseQuantity"]["value"] = float("nan")
    dosage["asNeededBoolean"] = "no"
    path = "entry.0.resource.dosage.0"
    assert errors_of(data) == {
        f"{path}.timing.repeat.frequency": ["Expected a positive integer, got 1.5."],
        f"{path}.timing.repeat.when": ['Expected a list of strings, got "NIGHT".'],
        f"{path}.doseAndRate.0.doseQuantity.value": ["Expected a number, got nan."],
        f"{path}.asNeededBoolean": ['Expected true or false, got "no".'],
    }


def test_a_bad_date():
    data = load("01_diazepam_three_times_daily.json")
    data["entry"][0]["resource"]["effectivePeriod"]["start"] = "last spring"
    assert errors_of(data) == {
        "entry.0.resource.effectivePeriod.start": [
            'Expected a date like 2024-05-01, got "last spring".'
        ]
    }


def medication_statement(i: int) -> dict:
    return {
        "resource": {
            "resourceType": "MedicationStatement",
            "id": f"ms-{i}",
            "status": "active",
            "medicationCodeableConcept": {"text": "Diazepam 2mg tablets"},
            "dosage": [{"text": "1 tablet at night"}],
        }
    }


def test_a_huge_bundle_is_refused_naming_the_limit():
    data = {"resourceType": "Bundle", "entry": [medication_statement(i) for i in range(5000)]}
    assert errors_of(data) == {"entry": ["Too many entries: 5,000 (the limit is 200)."]}


def test_200_entries_parse():
    data = {"resourceType": "Bundle", "entry": [medication_statement(i) for i in range(200)]}
    result = parse_bundle(data)
    assert len(result.entries) == 200
    assert all(e.understood for e in result.entries)
    assert errors_of(copy.deepcopy(data), max_entries=199) == {
        "entry": ["Too many entries: 200 (the limit is 199)."]
    }


def test_bundle_error_is_a_value_error_with_a_readable_message():
    with pytest.raises(ValueError, match="Not a FHIR Bundle"):
        parse_bundle({"resourceType": "Patient"})

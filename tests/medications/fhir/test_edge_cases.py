"""Records that look readable but are not certain: each is shown, with the reason, not guessed."""

from medications.fhir import BundleError, parse_bundle

from .helpers import doses, mg

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def one(medication: dict, dosage: dict | None = None, **resource) -> object:
    statement = {
        "resourceType": "MedicationStatement",
        "status": "active",
        **medication,
        **resource,
    }
    if dosage is not None:
        statement["dosage"] = [dosage]
    (entry,) = parse_bundle({"resourceType": "Bundle", "entry": [{"resource": statement}]}).entries
    return entry


def text(value: str) -> dict:
    return {"medicationCodeableConcept": {"text": value}}


NIGHT = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d", "when": ["NIGHT"]}}


def tablets(count, timing=NIGHT, unit="tablet", code=None) -> dict:
    quantity = {"value": count, "unit": unit}
    if code:
        quantity["code"] = code
    return {"timing": timing, "doseAndRate": [{"doseQuantity": quantity}]}


def test_code_and_name_disagree():
    entry = one(
        {
            "medicationCodeableConcept": {
                "coding": [{"system": RXNORM, "code": "197527", "display": "clonazepam 0.5 MG"}],
                "text": "Diazepam 5mg tablets",
            }
        },
        tablets(1),
    )
    assert entry.drug == "clonazepam" and not entry.understood and entry.doses == ()
    assert entry.problems == ("the code says Clonazepam but the name says Diazepam",)


def test_two_strengths_in_a_combination_product_are_not_picked_from():
    entry = one(
        text("Chlordiazepoxide 5 mg / clidinium 2.5 mg capsules"), tablets(1, unit="capsule")
    )
    assert entry.drug == "chlordiazepoxide" and not entry.understood
    assert entry.problems == (
        "dose in capsules but more than one strength is named (5 mg, 2.5 mg)",
    )


def test_a_set_number_of_doses_is_not_a_daily_dose():
    timing = {"repeat": {"count": 1, "frequency": 1, "period": 1, "periodUnit": "d"}}
    entry = one(text("Lorazepam 1mg tablets"), tablets(1, timing))
    assert entry.problems == ("a set number of doses (1): no regular daily dose",)


def test_unit_and_code_disagree():
    entry = one(text("Diazepam 5mg tablets"), tablets(2, unit="tablet", code="mg"))
    assert entry.problems == ('dose unit "tablet" and unit code "mg" disagree',)


def test_microgram_and_snomed_units():
    entry = one(text("Clonazepam 500 microgram tablets"), tablets(1, code="428673006"))
    assert doses(entry) == {"night": mg("0.5")}
    entry = one(text("Clonazepam tablets"), tablets(250, unit="microgram"))
    assert doses(entry) == {"night": mg("0.25")}


def test_when_and_frequency_disagree():
    timing = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d", "when": ["MORN", "NIGHT"]}}
    entry = one(text("Diazepam 2mg tablets"), tablets(1, timing))
    assert entry.problems == ("timing says 1 a day but names 2 times",)


def test_meal_times_do_not_say_which_meal():
    timing = {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d", "when": ["C"]}}
    entry = one(text("Oxazepam 15mg tablets"), tablets(1, timing))
    assert entry.problems == ('time "C" (with a meal) does not say which meal',)


def test_every_eight_hours_is_three_times_a_day():
    timing = {"repeat": {"frequency": 1, "period": 8, "periodUnit": "h"}}
    entry = one(text("Oxazepam 15mg tablets"), tablets(1, timing))
    assert doses(entry) == {"morning": mg("15"), "midday": mg("15"), "night": mg("15")}


def test_weekly_is_not_a_daily_dose():
    timing = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "wk"}}
    assert one(text("Diazepam 2mg tablets"), tablets(1, timing)).problems == (
        "every 1 weeks: no regular daily dose",
    )


def test_five_times_a_day_does_not_fit_four_slots():
    timing = {"repeat": {"frequency": 5, "period": 1, "periodUnit": "d"}}
    assert one(text("Diazepam 2mg tablets"), tablets(1, timing)).problems == (
        "5 times a day: more doses than the four times of day",
    )


def test_extended_release_from_the_medication_form():
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "MedicationStatement",
                    "status": "active",
                    "medicationReference": {"reference": "#m"},
                    "contained": [
                        {
                            "resourceType": "Medication",
                            "id": "m",
                            "code": {"text": "Alprazolam 1 mg"},
                            "form": {"text": "Prolonged-release tablet"},
                        }
                    ],
                    "dosage": [tablets(1)],
                }
            }
        ],
    }
    (entry,) = parse_bundle(bundle).entries
    assert (entry.drug, entry.form, doses(entry)) == ("alprazolam", "er", {"night": mg("1")})


def test_no_dosage_at_all():
    assert one(text("Diazepam 2mg tablets")).problems == ("no dosage given",)


def test_numbers_too_large_are_refused_not_crashed_on():
    for value in (10**5000, 10**40):
        try:
            one(text("Diazepam 2mg tablets"), tablets(value))
        except BundleError as error:
            (message,) = error.errors["entry.0.resource.dosage.0.doseAndRate.0.doseQuantity.value"]
            assert message == "Expected a number, got a number too large to use."
        else:
            raise AssertionError("expected BundleError")


def test_a_regular_dose_plus_an_as_needed_dose_is_not_read_as_the_daily_dose():
    statement = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": {"text": "Diazepam 2mg tablets"},
        "dosage": [tablets(1), {"text": "1 tablet up to twice a day as needed for anxiety"}],
    }
    (entry,) = parse_bundle({"resourceType": "Bundle", "entry": [{"resource": statement}]}).entries
    assert entry.as_needed and not entry.understood and entry.doses == ()
    assert entry.problems == (
        "part of the dose is as needed (PRN): the regular daily dose is not certain",
    )


def test_doses_are_tidy_decimals():
    entry = one(text("Alprazolam 0.5 mg tablets"), tablets(1.0))
    assert [str(d.mg) for d in entry.doses] == ["0.5"]
    entry = one(text("Diazepam 5 mg tablets"), tablets(2.0))
    assert [str(d.mg) for d in entry.doses] == ["10"]


def test_the_importer_is_standard_library_only():
    import subprocess
    import sys

    code = (
        "import sys, medications.fhir as f; "
        "f.parse_bundle({'resourceType': 'Bundle', 'entry': []}); "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('django', 'rest_framework', 'hypothesis', 'catalogue')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

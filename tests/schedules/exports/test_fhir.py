"""The FHIR export, validated with ``fhir.resources.R4B`` (the package's R4-compatible models;
its top-level modules are R5)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from fhir.resources.R4B.bundle import Bundle

from schedules.exports.fhir import bundle_json, plan_bundle
from tests.schedules.exports import (
    PRODUCTS,
    crossover_plan,
    diazepam_plan,
    dose,
    revision,
    step,
    tablet,
    times,
)

BASE = "https://clinic.example/fhir"


def _bundle(plan=None, **kwargs):
    return plan_bundle(
        plan or diazepam_plan(),
        patient_ref="Patient/123",
        requester_ref="Practitioner/45",
        base_url=BASE,
        products=PRODUCTS,
        **kwargs,
    )


def _requests(bundle):
    return [entry["resource"] for entry in bundle["entry"]]


def test_bundle_validates_as_fhir_r4():
    bundle = _bundle()
    model = Bundle.model_validate(bundle)
    assert model.type == "collection"
    assert len(model.entry) == 2
    assert all(e.resource.get_resource_type() == "MedicationRequest" for e in model.entry)


def test_serialised_json_validates_too():
    data = json.loads(bundle_json(_bundle()))
    Bundle.model_validate(data)
    doses = [
        d["doseAndRate"][0]["doseQuantity"]["value"]
        for r in data["entry"]
        for d in r["resource"]["dosageInstruction"]
    ]
    assert doses == [7, 7, 1, 5]
    assert bundle_json(_bundle()) == bundle_json(_bundle())  # deterministic


def test_one_request_per_dosing_step_bounded_by_the_step_dates():
    plan = diazepam_plan()
    requests = _requests(_bundle(plan))
    dosing = [s for s in plan["steps"] if s["doses"]]
    assert len(requests) == len(dosing)
    for request, planned in zip(requests, dosing, strict=True):
        for dosage in request["dosageInstruction"]:
            assert dosage["timing"]["repeat"]["boundsPeriod"] == {
                "start": planned["start_date"],
                "end": planned["end_date"],
            }
    assert [r["id"] for r in requests] == ["rev7-step1-diazepam", "rev7-step2-diazepam"]


def test_the_stop_step_has_no_request_but_the_last_one_says_when_to_stop():
    requests = _requests(_bundle())
    assert all(r["status"] != "stopped" for r in requests)
    assert requests[-1]["note"][-1]["text"] == (
        "Last dose on 2027-01-31; no diazepam from 2027-02-01."
    )


def test_dosage_per_slot_with_time_of_day_and_mg_in_ucum():
    first = _requests(_bundle())[0]
    morning, night = first["dosageInstruction"]
    repeat = morning["timing"]["repeat"]
    assert (repeat["frequency"], repeat["period"], repeat["periodUnit"]) == (1, 1, "d")
    assert repeat["timeOfDay"] == ["08:00:00"]
    assert night["timing"]["repeat"]["timeOfDay"] == ["22:00:00"]
    assert morning["doseAndRate"][0]["doseQuantity"] == {
        "value": Decimal(7),
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert morning["text"] == times("1 x diazepam 5 mg tablet + 1 x diazepam 2 mg tablet")
    assert [d["sequence"] for d in first["dosageInstruction"]] == [1, 2]


def test_single_product_text_and_halves():
    plan = revision(
        step(1, "2027-01-04", "2027-01-17", dose("night", "10", tablet("10"))),
        step(2, "2027-01-18", "2027-01-31", dose("night", "5", tablet("10", "0.5"))),
    )
    first, second = _requests(_bundle(plan))
    assert first["dosageInstruction"][0]["text"] == times("1 x diazepam 10 mg tablet")
    assert second["dosageInstruction"][0]["text"] == times("½ x diazepam 10 mg tablet")
    assert first["medicationCodeableConcept"] == {"text": "diazepam 10 mg tablet"}


def test_medication_is_text_only_and_names_every_product():
    second = _requests(_bundle())[1]
    assert second["medicationCodeableConcept"] == {
        "text": "diazepam 10 mg tablet, diazepam 2 mg/5 mL oral solution"
    }
    assert second["dosageInstruction"][0]["text"] == "2.5 mL of diazepam 2 mg/5 mL oral solution"


def test_crossover_step_has_one_request_per_drug():
    bundle = _bundle(crossover_plan())
    Bundle.model_validate(bundle)
    requests = _requests(bundle)
    assert [r["id"] for r in requests] == [
        "rev7-step1-alprazolam",
        "rev7-step1-diazepam",
        "rev7-step2-diazepam",
    ]
    alprazolam, diazepam, _ = requests
    assert [d["timing"]["repeat"]["timeOfDay"] for d in alprazolam["dosageInstruction"]] == [
        ["08:00:00"],
        ["22:00:00"],
    ]
    assert alprazolam["medicationCodeableConcept"]["text"] == "alprazolam 0.5 mg tablet"
    assert len(diazepam["dosageInstruction"]) == 1


def test_requests_are_orders_grouped_by_revision_with_opaque_references():
    bundle = _bundle()
    for request in _requests(bundle):
        assert request["intent"] == "order"
        assert request["subject"] == {"reference": "Patient/123"}
        assert request["requester"] == {"reference": "Practitioner/45"}
        assert request["groupIdentifier"] == bundle["identifier"]
        assert request["authoredOn"] == "2027-01-03T10:00:00.123456+00:00"
    assert bundle["entry"][0]["fullUrl"] == f"{BASE}/MedicationRequest/rev7-step1-diazepam"


@pytest.mark.parametrize(
    ("status", "in_force", "expected"),
    [
        ("signed", True, "active"),
        ("signed", False, "completed"),
        ("draft", True, "draft"),
        ("discarded", False, "cancelled"),
    ],
)
def test_status_follows_whether_the_revision_is_in_force(status, in_force, expected):
    plan = diazepam_plan()
    plan["status"] = status
    bundle = _bundle(plan, in_force=in_force)
    Bundle.model_validate(bundle)
    assert {r["status"] for r in _requests(bundle)} == {expected}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("patient_ref", "Jane Doe"),
        ("patient_ref", "Patient/Jane Doe"),
        ("patient_ref", "Practitioner/1"),
        ("requester_ref", "Dr Shah"),
        ("requester_ref", "Patient/1"),
    ],
)
def test_references_must_be_opaque_ids(field, value):
    refs = {"patient_ref": "Patient/1", "requester_ref": "Practitioner/2", field: value}
    with pytest.raises(ValueError, match=field):
        plan_bundle(diazepam_plan(), base_url=BASE, products=PRODUCTS, **refs)


def test_a_plan_without_doses_is_an_empty_collection():
    plan = revision(step(1, "2027-01-04", "2027-01-04", phase="stop"))
    bundle = _bundle(plan)
    assert bundle["entry"] == []
    Bundle.model_validate(bundle)


def test_the_validator_is_strict_enough_to_mean_something():
    bundle = _bundle()
    bundle["entry"][0]["resource"]["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"][
        "start"
    ] = "04/01/2027"
    with pytest.raises(ValueError, match="start"):
        Bundle.model_validate(bundle)

"""POST /api/v1/patients/{id}/medications/import/: real-shaped FHIR bundles in, a preview out,
and ``?confirm=true`` saves all of it or nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import time_machine

from medications import services
from medications.models import MedicationRecord
from tests.factories import PatientFactory
from tests.medications.helpers import record_body

pytestmark = pytest.mark.django_db
NOW = "2026-12-03 10:00:00+00:00"
BUNDLES = Path(__file__).parent / "fhir" / "bundles"


def bundle(name: str) -> dict:
    return json.loads((BUNDLES / name).read_text())


def post(client, patient, body, *, confirm=False):
    url = f"/api/v1/patients/{patient.pk}/medications/import/"
    if confirm:
        url += "?confirm=true"
    return client.post(url, data=json.dumps(body), content_type="application/json")


@time_machine.travel(NOW)
def test_one_benzodiazepine_previews_then_saves_on_confirm(client, patient, prescriber):
    client.force_login(prescriber)
    data = bundle("01_diazepam_three_times_daily.json")
    preview = post(client, patient, data)
    assert preview.status_code == 200, preview.json()
    body = preview.json()
    assert body["saved"] is False and body["can_confirm"] is True
    entry = body["entries"][0]
    assert entry["drug"] == "diazepam"
    assert entry["doses"] == {"morning": "5", "midday": "5", "night": "5"}
    assert entry["source_text"]  # shown beside what was understood
    assert entry["action"] == "regimen"
    assert not MedicationRecord.objects.exists()  # a preview saves nothing

    saved = post(client, patient, data, confirm=True)
    assert saved.status_code == 200
    record = saved.json()["record"]
    assert record["regimen"] == [
        {"drug": "diazepam", "doses": {"morning": "5", "midday": "5", "night": "5"}, "form": "ir"}
    ]
    version = MedicationRecord.objects.get().history.get()
    assert version.history_user == prescriber
    assert version.history_change_reason.startswith("Imported from another system's FHIR record")


@time_machine.travel(NOW)
def test_benzodiazepine_and_z_drug_both_go_into_the_regimen(client, patient, prescriber):
    client.force_login(prescriber)
    saved = post(client, patient, bundle("02_lorazepam_and_zopiclone.json"), confirm=True)
    assert saved.status_code == 200, saved.json()
    regimen = {item["drug"]: item["doses"] for item in saved.json()["record"]["regimen"]}
    assert regimen == {"lorazepam": {"morning": "1", "night": "1"}, "zopiclone": {"night": "7.5"}}


@time_machine.travel(NOW)
def test_an_opioid_alongside_is_listed_and_flagged_but_an_unread_dose_blocks_saving(
    client, patient, prescriber
):
    client.force_login(prescriber)
    data = bundle("03_synthea_oxycodone_and_alprazolam.json")
    body = post(client, patient, data).json()
    actions = {entry["index"]: entry["action"] for entry in body["entries"]}
    assert actions[2] == "other-medicine"  # oxycodone
    assert actions[3] == "not-read"  # alprazolam dose with no unit: never guessed
    assert body["proposed"]["other"]["opioids"] is True
    assert any("xycodone" in m["name"] for m in body["proposed"]["other"]["medicines"])
    assert body["can_confirm"] is False
    assert {entry["resource_type"] for entry in body["ignored"]} >= {"Patient"}

    refused = post(client, patient, data, confirm=True)
    assert refused.status_code == 400
    assert "entry.3" in refused.json()["errors"]
    assert not MedicationRecord.objects.exists()

    # Without the unreadable entry, the same bundle imports, opioid flag and all.
    readable = copy.deepcopy(data)
    readable["entry"] = [e for i, e in enumerate(data["entry"]) if i != 3]
    saved = post(client, patient, readable, confirm=True)
    assert saved.status_code == 200, saved.json()
    record = saved.json()["record"]
    assert record["other"]["opioids"] is True
    assert "opioids" in record["factors"]


@time_machine.travel(NOW)
def test_coded_and_uncoded_entries_are_recognised(client, patient, prescriber):
    client.force_login(prescriber)
    body = post(client, patient, bundle("04_coded_and_uncoded.json")).json()
    matched = {entry["drug"]: entry["matched_by"] for entry in body["entries"]}
    assert matched["clonazepam"] == "rxnorm"
    assert matched["temazepam"] == "name"
    assert body["can_confirm"] is True


@time_machine.travel(NOW)
def test_doses_the_reader_cannot_read_are_shown_with_reasons_and_never_saved(
    client, patient, prescriber
):
    services.record_save(patient=patient, user=prescriber, data=record_body())
    client.force_login(prescriber)
    data = bundle("05_doses_that_cannot_be_read.json")
    body = post(client, patient, data).json()
    assert len(body["entries"]) == 6  # every entry shown, none dropped
    assert all(entry["action"] == "not-read" for entry in body["entries"])
    assert all(entry["doses"] == {} and entry["problems"] for entry in body["entries"])
    refused = post(client, patient, data, confirm=True)
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert {f"entry.{i}" for i in range(6)} <= set(errors)
    assert "Nothing is guessed" in errors["entry.1"][0]
    record = MedicationRecord.objects.get()
    assert record.regimen[0]["drug"] == "alprazolam" and record.history.count() == 1


@time_machine.travel(NOW)
def test_a_bundle_that_is_not_valid_fhir_is_a_400_per_problem(client, patient, prescriber):
    client.force_login(prescriber)
    response = post(client, patient, bundle("06_not_valid_fhir.json"), confirm=True)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) >= 2
    assert all(key.startswith(("bundle", "entry")) for key in errors)
    assert post(client, patient, {"resourceType": "Patient"}).status_code == 400
    assert post(client, patient, ["not", "a", "bundle"]).status_code == 400
    assert not MedicationRecord.objects.exists()


@time_machine.travel(NOW)
def test_a_huge_bundle_is_refused_with_the_limit(client, patient, prescriber):
    client.force_login(prescriber)
    # 5,000 small entries: within the request size, over the 200-entry limit.
    many = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Basic"}}] * 5000,
    }
    response = post(client, patient, many, confirm=True)
    assert response.status_code == 400
    assert "200" in json.dumps(response.json()["errors"])
    # Thousands of full entries: over the request size, refused before it is read.
    entry = bundle("01_diazepam_three_times_daily.json")["entry"][0]
    huge = {"resourceType": "Bundle", "type": "collection", "entry": [entry] * 5000}
    response = post(client, patient, huge, confirm=True)
    assert response.status_code == 400
    assert "larger than" in response.json()["errors"]["body"][0]
    assert not MedicationRecord.objects.exists()


@time_machine.travel(NOW)
def test_another_clinics_patient_is_a_404_and_a_nurse_may_not_import(
    client, prescriber, nurse, other_clinic, patient
):
    stranger = PatientFactory(clinic=other_clinic)
    data = bundle("01_diazepam_three_times_daily.json")
    client.force_login(prescriber)
    assert post(client, stranger, data).status_code == 404
    assert post(client, stranger, data, confirm=True).status_code == 404
    client.force_login(nurse)
    assert post(client, patient, data, confirm=True).status_code == 403
    assert not MedicationRecord.objects.exists()


@time_machine.travel(NOW)
def test_import_keeps_the_rest_of_the_record(client, patient, prescriber):
    services.record_save(patient=patient, user=prescriber, data=record_body())
    client.force_login(prescriber)
    saved = post(client, patient, bundle("01_diazepam_three_times_daily.json"), confirm=True)
    record = saved.json()["record"]
    assert record["regimen"][0]["drug"] == "diazepam"
    assert record["use"]["indication"] == "anxiety"  # kept
    assert record["other"]["gabapentinoids"] is True  # kept
    assert record["previous_tapers"] == [{"year": 2019, "outcome": "stopped-symptoms"}]


@time_machine.travel(NOW)
def test_the_record_exports_as_fhir_and_reads_back_the_same(client, patient, prescriber, nurse):
    body = record_body(
        regimen=[
            {"drug": "alprazolam", "doses": {"morning": "0.5", "night": "1"}},
            {"drug": "diazepam", "doses": {"night": "2.5"}},
        ]
    )
    services.record_save(patient=patient, user=prescriber, data=body)
    client.force_login(nurse)  # all staff read
    exported = client.get(f"/api/v1/patients/{patient.pk}/medications/fhir/")
    assert exported.status_code == 200
    data = exported.json()
    statements = [e["resource"] for e in data["entry"]]
    assert {s["resourceType"] for s in statements} == {"MedicationStatement"}
    assert all(s["subject"]["reference"] == f"Patient/{patient.pk}" for s in statements)
    assert len(statements) == 3  # two benzodiazepines and the pregabalin
    client.force_login(prescriber)
    back = post(client, patient, data).json()
    regimen = {item["drug"]: item["doses"] for item in back["proposed"]["regimen"]}
    assert regimen == {"alprazolam": {"morning": "0.5", "night": "1"}, "diazepam": {"night": "2.5"}}


@time_machine.travel(NOW)
def test_confirm_is_true_or_false_nothing_else(client, patient, prescriber):
    client.force_login(prescriber)
    url = f"/api/v1/patients/{patient.pk}/medications/import/?confirm=yes"
    response = client.post(
        url,
        data=json.dumps(bundle("01_diazepam_three_times_daily.json")),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "confirm" in response.json()["errors"]
    assert not MedicationRecord.objects.exists()

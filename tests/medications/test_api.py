"""GET, PUT /api/v1/patients/{id}/medications/: staff read, prescribers write, per clinic."""

from __future__ import annotations

import json

import pytest
import time_machine

from medications.models import MedicationRecord
from tests.factories import PatientFactory
from tests.medications.helpers import record_body

pytestmark = pytest.mark.django_db
NOW = "2026-12-03 10:00:00+00:00"


def url(patient):
    return f"/api/v1/patients/{patient.pk}/medications/"


def put(client, patient, body):
    return client.put(url(patient), data=json.dumps(body), content_type="application/json")


@time_machine.travel(NOW)
def test_prescriber_records_and_everyone_in_the_clinic_reads(client, patient, prescriber, nurse):
    client.force_login(prescriber)
    response = put(client, patient, record_body())
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["regimen"] == [
        {"drug": "alprazolam", "doses": {"morning": "0.5", "night": "1"}, "form": "ir"}
    ]
    # Alprazolam 1.5 mg a day: 30 mg DE by Ashton, 15 by VA/DoD; the band uses the higher.
    assert data["daily_equivalent_mg"] == {
        "source": "ashton-2007",
        "mg": "30",
        "low": "15",
        "high": "30",
        "band_uses": "high",
    }
    assert data["withdrawal_risk"]["band"] == "yes"
    assert data["withdrawal_risk"]["row"] == 5
    assert "Table 2" in data["withdrawal_risk"]["source"]
    # Gabapentinoids and a taper stopped by symptoms: the slow end of ASAM's range.
    assert data["suggested_pace"]["reduction_percent"] == "5"
    assert data["suggested_pace"]["interval_days"] == 28
    assert data["updated_by"] == prescriber.display_name()

    client.force_login(nurse)
    read = client.get(url(patient))
    assert read.status_code == 200
    assert read.json()["regimen"] == data["regimen"]
    assert put(client, patient, record_body()).status_code == 403


@time_machine.travel(NOW)
def test_empty_record_reads_as_nothing_recorded(client, patient, nurse):
    client.force_login(nurse)
    data = client.get(url(patient)).json()
    assert data["regimen"] == []
    assert data["withdrawal_risk"]["band"] is None
    assert data["updated_at"] is None


@time_machine.travel(NOW)
def test_another_clinics_patient_is_a_404_for_read_and_write(client, prescriber, other_clinic):
    stranger = PatientFactory(clinic=other_clinic)
    client.force_login(prescriber)
    assert client.get(url(stranger)).status_code == 404
    assert put(client, stranger, record_body()).status_code == 404
    assert not MedicationRecord.objects.exists()


def test_anonymous_is_refused(client, patient):
    assert client.get(url(patient)).status_code in (401, 403)


@time_machine.travel(NOW)
def test_bad_input_names_each_field_and_changes_nothing(client, patient, prescriber):
    client.force_login(prescriber)
    assert put(client, patient, record_body()).status_code == 200
    before = MedicationRecord.objects.get().history.count()
    body = record_body(
        regimen=[
            {"drug": "alprazolam", "doses": {"night": "-1"}},
            {"drug": "unobtainium", "doses": {"night": "1"}},
        ],
        use={"since": "2099-01-01", "days_per_week": 9, "indication": "boredom"},
        factors=["age-65-plus", "telepathy"],
        previous_tapers=[{"year": 1800, "outcome": "completed"}],
        reason="typo fix",
    )
    response = put(client, patient, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "regimen.0.doses.night" in errors
    assert "regimen.1.drug" in errors
    assert "use.since" in errors and "future" in errors["use.since"][0]
    assert "use.days_per_week" in errors
    assert "use.indication" in errors
    assert "date of birth" in errors["factors.0"][0]
    assert "factors.1" in errors
    assert "previous_tapers.0.year" in errors
    record = MedicationRecord.objects.get()
    assert record.history.count() == before
    assert record.regimen[0]["doses"] == {"morning": "0.5", "night": "1"}


@time_machine.travel(NOW)
def test_a_change_needs_a_reason_and_is_kept_with_who_and_why(client, patient, prescriber):
    client.force_login(prescriber)
    assert put(client, patient, record_body()).status_code == 200
    changed = record_body(regimen=[{"drug": "diazepam", "doses": {"night": "10"}}])
    refused = put(client, patient, changed)
    assert refused.status_code == 400
    assert "reason" in refused.json()["errors"]
    changed["reason"] = "GP letter: switched to diazepam in November"
    assert put(client, patient, changed).status_code == 200
    versions = list(MedicationRecord.objects.get().history.order_by("history_id"))
    assert [v.history_change_reason for v in versions] == [
        "first recorded",
        "GP letter: switched to diazepam in November",
    ]
    assert {v.history_user for v in versions} == {prescriber}


@time_machine.travel(NOW)
def test_an_opioid_listed_but_not_flagged_is_refused(client, patient, prescriber):
    client.force_login(prescriber)
    body = record_body()
    body["other"]["medicines"].append({"name": "Oxycodone 5 mg", "kind": "opioid"})
    response = put(client, patient, body)
    assert response.status_code == 400
    assert "Oxycodone" in response.json()["errors"]["other.opioids"][0]


@time_machine.travel(NOW)
def test_factors_combine_record_and_age(client, clinic, prescriber):
    older = PatientFactory(clinic=clinic, date_of_birth="1950-01-01")
    client.force_login(prescriber)
    body = record_body(factors=["liver-disease", "age-65-plus"])
    body["other"]["opioids"] = True
    body["other"]["alcohol"] = "dependence"
    data = put(client, older, body).json()
    assert data["factors"] == ["age-65-plus", "liver-disease", "opioids", "alcohol"]
    assert any("alcohol" in reason for reason in data["inpatient_warning"])


@time_machine.travel(NOW)
def test_schema_documents_the_record(client, prescriber):
    client.force_login(prescriber)
    schema = client.get("/api/schema/?format=json").json()
    path = schema["paths"]["/api/v1/patients/{patient_id}/medications/"]
    assert set(path) >= {"get", "put"}

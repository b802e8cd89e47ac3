"""The record on the patient page, its form, the builder filled from it, and the plan's
snapshot and notice."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from medications import services
from medications.models import MedicationRecord
from schedules.models import TaperPlan
from tests.factories import PatientFactory
from tests.medications.helpers import record_body
from tests.plan_helpers import preview_body, signed_plan

pytestmark = pytest.mark.django_db
NOW = "2026-12-03 10:00:00+00:00"


def form_data(**changes):
    data = {
        "drug_1": "lorazepam",
        "drug_1_form": "ir",
        "drug_1_morning": "1",
        "drug_1_night": "2",
        "since": "2024-06-01",
        "days_per_week": "7",
        "indication": "panic",
        "alcohol": "none",
        "other_1_name": "Tramadol 50 mg capsules",
        "other_1_kind": "opioid",
        "opioids": "on",
        "factors": ["epilepsy"],
    }
    data.update(changes)
    return data


@time_machine.travel(NOW)
def test_prescriber_records_the_regimen_and_sees_the_risk(client, patient, prescriber):
    client.force_login(prescriber)
    page = client.get(f"/patients/{patient.pk}/")
    assert "Record medicines" in page.content.decode()
    response = client.post(f"/patients/{patient.pk}/medications/", form_data())
    assert response.status_code == 302
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    # Lorazepam 3 mg a day for over 2 years, every day: ASAM Table 2 row 5.
    assert "Yes; greater with dose and duration" in page
    assert "30 mg diazepam-equivalent a day (Ashton 2007)" in page
    assert "Sources give" in page  # VA/DoD counts lorazepam 2 mg as diazepam 10 mg
    assert "5% of the current dose every 28 days" in page  # opioids and epilepsy slow it
    assert "Tramadol 50 mg capsules" in page
    assert "first recorded" in page and prescriber.display_name() in page


@time_machine.travel(NOW)
def test_form_errors_sit_beside_their_fields_and_nothing_is_saved(client, patient, prescriber):
    client.force_login(prescriber)
    response = client.post(
        f"/patients/{patient.pk}/medications/",
        form_data(drug_1_night="lots", other_1_kind="opioid", opioids=""),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["drug_1_night"]
    assert "Tramadol" in form.errors["opioids"][0]
    assert not MedicationRecord.objects.exists()


@time_machine.travel(NOW)
def test_a_change_on_the_page_needs_a_reason_and_shows_in_the_history(client, patient, prescriber):
    client.force_login(prescriber)
    client.post(f"/patients/{patient.pk}/medications/", form_data())
    refused = client.post(f"/patients/{patient.pk}/medications/", form_data(drug_1_night="1"))
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    client.post(
        f"/patients/{patient.pk}/medications/",
        form_data(drug_1_night="1", reason="Patient already cut the night dose"),
    )
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Patient already cut the night dose" in page
    assert "current regimen" in page  # what changed


@time_machine.travel(NOW)
def test_nurse_reads_the_record_but_cannot_edit_it(client, patient, nurse, prescriber):
    services.record_save(patient=patient, user=prescriber, data=record_body())
    client.force_login(nurse)
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Withdrawal risk" in page and "Edit record" not in page
    assert client.get(f"/patients/{patient.pk}/medications/").status_code == 403


@time_machine.travel(NOW)
def test_new_plan_is_filled_in_from_the_record(client, clinic, prescriber):
    older = PatientFactory(clinic=clinic, date_of_birth=datetime.date(1950, 2, 1))
    services.record_save(
        patient=older,
        user=prescriber,
        data=record_body(
            regimen=[{"drug": "alprazolam", "doses": {"night": "2"}}],
            factors=["liver-disease"],
        ),
    )
    client.force_login(prescriber)
    response = client.get(f"/patients/{older.pk}/plans/new/")
    form = response.context["form"]
    assert form["drug_1"].value() == "alprazolam"
    assert form["drug_1_night"].value() == "2"
    assert form["drug_1_form"].value() == "ir"
    assert form["patient_factors"].value() == ["age-65-plus", "liver-disease"]
    assert (form["reduction_percent"].value(), str(form["interval_days"].value())) == ("5", "28")
    # The plan is built at once from the record: the preview shows steps, not a blank.
    assert response.context["output"]["steps"]
    assert "Filled in from the medication record" in response.content.decode()


@time_machine.travel(NOW)
def test_a_recorded_form_the_country_lacks_is_shown_beside_the_field(client, patient, prescriber):
    # Extended-release alprazolam is not sold in GB: the builder says so, it never swaps in IR.
    services.record_save(
        patient=patient,
        user=prescriber,
        data=record_body(regimen=[{"drug": "alprazolam", "doses": {"night": "2"}, "form": "er"}]),
    )
    client.force_login(prescriber)
    response = client.get(f"/patients/{patient.pk}/plans/new/")
    form = response.context["form"]
    assert form["drug_1_form"].value() == "er"
    assert "no extended-release products in GB" in " ".join(form.errors["drug_1_form"])


@time_machine.travel(NOW)
def test_without_a_record_the_builder_says_so(client, patient, prescriber):
    client.force_login(prescriber)
    response = client.get(f"/patients/{patient.pk}/plans/new/")
    assert "No medication record yet" in response.content.decode()
    assert response.context["form"]["drug_1"].value() in (None, "")


@time_machine.travel(NOW)
def test_plan_keeps_a_snapshot_and_warns_when_the_record_changes_after_signing(
    client, patient, prescriber
):
    services.record_save(patient=patient, user=prescriber, data=record_body())
    revision = signed_plan(patient, prescriber, preview_body(start_date="2026-12-07"))
    plan = TaperPlan.objects.get(pk=revision.plan_id)
    assert plan.record_snapshot["regimen"][0]["drug"] == "alprazolam"
    assert plan.record_snapshot["withdrawal_risk"]["band"] == "yes"
    client.force_login(prescriber)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "Built from the medication record" in page
    assert "The medication record changed on" not in page

    with time_machine.travel("2026-12-10 09:00:00+00:00"):
        services.record_save(
            patient=patient,
            user=prescriber,
            data=record_body(
                regimen=[{"drug": "alprazolam", "doses": {"night": "1"}}],
                reason="Patient stopped the morning dose",
            ),
        )
        client.force_login(prescriber)
        page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "The medication record changed on 10 Dec 2026; review the plan." in page
    plan.refresh_from_db()
    # The signed plan and its snapshot are untouched by the record change.
    assert plan.record_snapshot["regimen"][0]["doses"] == {"morning": "0.5", "night": "1"}
    assert revision.plan.revisions.count() == 1


@time_machine.travel(NOW)
def test_doses_read_in_day_order_whatever_order_the_database_keeps(client, patient, prescriber):
    # PostgreSQL's JSON column orders keys by length: "night" comes back before "morning".
    services.record_save(patient=patient, user=prescriber, data=record_body())
    MedicationRecord.objects.filter(patient=patient).update(
        regimen=[{"drug": "alprazolam", "doses": {"night": "1", "morning": "0.5"}, "form": "ir"}]
    )
    revision = signed_plan(patient, prescriber, preview_body(start_date="2026-12-07"))
    TaperPlan.objects.filter(pk=revision.plan_id).update(
        record_snapshot={
            "regimen": [{"drug": "alprazolam", "doses": {"night": "1", "morning": "0.5"}}]
        }
    )
    client.force_login(prescriber)
    page = client.get(f"/plans/{revision.plan_id}/").content.decode()
    assert "Alprazolam 0.5 mg morning, 1 mg night" in page
    data = client.get(f"/api/v1/patients/{patient.pk}/medications/").json()
    assert list(data["regimen"][0]["doses"]) == ["morning", "night"]

"""Patient pages as a clinician uses them: the list with taper progress, the form, scoping."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tests.factories import NurseFactory, PatientFactory, PrescriberFactory
from tests.plan_helpers import draft_plan, signed_plan

pytestmark = pytest.mark.django_db

IN_STEP_3 = datetime.datetime(2027, 2, 10, 12, tzinfo=datetime.UTC)


def form_data(**overrides):
    data = {
        "first_name": "Mary",
        "last_name": "Jones",
        "mrn": "RX-1001",
        "date_of_birth": "1961-03-14",
        "email": "mary@example.org",
        "phone": "",
        "time_zone": "Europe/London",
        "reminder_weekday": "0",
        "reminder_time": "09:00",
        "prescriber": "",
        "nurse": "",
    }
    data.update(overrides)
    return data


def test_list_shows_each_patients_current_step_and_checkin_column(
    prescriber_client, patient, prescriber, clinic
):
    signed_plan(patient, prescriber)
    PatientFactory(clinic=clinic, last_name="Planless")
    with time_machine.travel(IN_STEP_3, tick=False):
        prescriber_client.force_login(prescriber)  # the earlier session has expired by then
        response = prescriber_client.get("/patients/")
    html = response.content.decode()
    assert "Step 3 of 37 · 17 mg DE · until 14 Feb" in html
    assert "No plan" in html
    assert "No check-ins yet" in html


def test_list_says_when_a_plan_starts_or_waits_for_signature(prescriber_client, patient, clinic):
    signed_plan(patient, patient.prescriber)
    other = PatientFactory(clinic=clinic)
    draft_plan(other, patient.prescriber)
    with time_machine.travel(datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC), tick=False):
        prescriber_client.force_login(patient.prescriber)
        html = prescriber_client.get("/patients/").content.decode()
    assert "Starts 4 Jan" in html
    assert "Draft plan, not signed" in html


def test_list_search_by_name_and_mrn(prescriber_client, clinic):
    PatientFactory(clinic=clinic, first_name="Ada", last_name="Lovelace", mrn="AL-77")
    PatientFactory(clinic=clinic, first_name="Bob", last_name="Other", mrn="BO-12")
    by_name = prescriber_client.get("/patients/", {"q": "lovel"}).content.decode()
    by_mrn = prescriber_client.get("/patients/", {"q": "bo-1"}).content.decode()
    assert "Lovelace" in by_name and "Other" not in by_name
    assert "Other" in by_mrn and "Lovelace" not in by_mrn


@pytest.mark.parametrize("count", [3, 30])
def test_list_queries_do_not_grow_with_patients(
    count, prescriber_client, clinic, prescriber, django_assert_max_num_queries
):
    for _ in range(count):
        signed_plan(PatientFactory(clinic=clinic, prescriber=prescriber), prescriber)
    with time_machine.travel(IN_STEP_3, tick=False):
        prescriber_client.force_login(prescriber)
        # session, user, the two-factor device django-otp checks on each request, the page
        with django_assert_max_num_queries(5):
            response = prescriber_client.get("/patients/")
    assert response.content.decode().count("Step 3 of 37") == count


def test_list_never_shows_another_clinics_patients(prescriber_client, patient, other_patient):
    html = prescriber_client.get("/patients/").content.decode()
    assert other_patient.last_name not in html


def test_create_patient(prescriber_client, prescriber, nurse):
    response = prescriber_client.post(
        "/patients/new/", form_data(prescriber=prescriber.pk, nurse=nurse.pk)
    )
    assert response.status_code == 302
    detail = prescriber_client.get(response["Location"]).content.decode()
    assert "Mary Jones" in detail and "RX-1001" in detail and prescriber.display_name() in detail


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"date_of_birth": "2999-01-01"},
            "date_of_birth",
            "Date of birth cannot be in the future.",
        ),
        ({"email": "", "phone": ""}, "email", "Give an e-mail address or a phone number"),
        ({"email": "not-an-email"}, "email", "Enter a valid e-mail address"),
        ({"phone": "call me"}, "phone", "Enter a phone number of 7 to 15 digits"),
        ({"mrn": ""}, "mrn", "Enter the patient&#x27;s MRN."),
    ],
)
def test_create_patient_gives_specific_messages(prescriber_client, overrides, field, message):
    response = prescriber_client.post("/patients/new/", form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["form"].errors


def test_mrn_must_be_unique_within_the_clinic_only(prescriber_client, clinic, other_clinic):
    PatientFactory(clinic=other_clinic, mrn="RX-1001")
    assert prescriber_client.post("/patients/new/", form_data()).status_code == 302
    response = prescriber_client.post("/patients/new/", form_data(first_name="Second"))
    assert "Another patient in this clinic already has this MRN." in response.content.decode()


def test_care_team_choices_are_this_clinics_staff(prescriber_client, clinic, other_clinic, nurse):
    outsider = PrescriberFactory(clinic=other_clinic, first_name="Out", last_name="Sider")
    NurseFactory(clinic=clinic, first_name="Inna", last_name="House")
    page = prescriber_client.get("/patients/new/").content.decode()
    assert "Inna House" in page and "Out Sider" not in page
    response = prescriber_client.post("/patients/new/", form_data(prescriber=outsider.pk))
    assert "Choose a prescriber of this clinic." in response.content.decode()
    response = prescriber_client.post("/patients/new/", form_data(prescriber=nurse.pk))
    assert "Choose a prescriber of this clinic." in response.content.decode()


def test_edit_patient(prescriber_client, patient):
    data = form_data(mrn=patient.mrn, first_name="Renamed", last_name=patient.last_name)
    response = prescriber_client.post(f"/patients/{patient.pk}/edit/", data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.first_name == "Renamed"


def test_edit_form_shows_current_values(prescriber_client, patient):
    page = prescriber_client.get(f"/patients/{patient.pk}/edit/").content.decode()
    assert f'value="{patient.mrn}"' in page
    assert 'value="1970-05-17"' in page


def test_another_clinics_patient_is_404(prescriber_client, other_patient):
    assert prescriber_client.get(f"/patients/{other_patient.pk}/").status_code == 404
    assert prescriber_client.get(f"/patients/{other_patient.pk}/edit/").status_code == 404
    assert prescriber_client.post(f"/patients/{other_patient.pk}/edit/", {}).status_code == 404


def test_names_are_escaped(prescriber_client, clinic):
    PatientFactory(clinic=clinic, first_name="<script>alert(1)</script>", last_name="X")
    for url in ("/patients/", f"/patients/{clinic.patients.get().pk}/"):
        html = prescriber_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_nurse_sees_patients_but_cannot_start_a_plan(nurse_client, patient):
    page = nurse_client.get(f"/patients/{patient.pk}/").content.decode()
    assert "New taper plan" not in page
    assert nurse_client.get(f"/patients/{patient.pk}/plans/new/").status_code == 403


def test_anonymous_is_sent_to_login(client, patient):
    response = client.get("/patients/")
    assert response.status_code == 302 and "/login/" in response["Location"]

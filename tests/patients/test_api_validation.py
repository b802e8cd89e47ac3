"""The patients API validates the phone and the date of birth by the same rule as the form."""

from __future__ import annotations

import json

import pytest

from patients.forms import PatientForm
from patients.models import PHONE_MESSAGE, Patient

pytestmark = pytest.mark.django_db

BAD_PHONES = ["<b>07700900123</b>", "call me maybe", "123", "٠٧٧٠٠٩٠٠١٢٣"]
BAD_BIRTH_DATES = ["0563-01-01", "1899-12-31", "2999-01-01"]


def body(**overrides):
    data = {
        "mrn": "API-1",
        "first_name": "Ann",
        "last_name": "Lee",
        "date_of_birth": "1961-03-14",
        "email": "ann@example.org",
        "phone": "07700 900123",
    }
    data.update(overrides)
    return data


def post(client, url, data, method="post"):
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


@pytest.mark.parametrize("phone", BAD_PHONES)
def test_api_refuses_a_phone_the_form_refuses(prescriber_client, clinic, phone):
    response = post(prescriber_client, "/api/v1/patients/", body(phone=phone))
    assert response.status_code == 400
    assert response.json()["errors"]["phone"] == [str(PHONE_MESSAGE)]
    assert not Patient.objects.filter(mrn="API-1").exists()
    form = PatientForm(
        {
            **body(phone=phone),
            "time_zone": "Europe/London",
            "reminder_weekday": "0",
            "reminder_time": "09:00",
        },
        clinic=clinic,
    )
    assert not form.is_valid() and form.errors["phone"] == [str(PHONE_MESSAGE)]


@pytest.mark.parametrize("phone", BAD_PHONES[:2])
def test_api_patch_refuses_a_bad_phone(prescriber_client, patient, phone):
    response = post(prescriber_client, f"/api/v1/patients/{patient.pk}/", {"phone": phone}, "patch")
    assert response.status_code == 400
    assert "phone" in response.json()["errors"]
    patient.refresh_from_db()
    assert patient.phone != phone


@pytest.mark.parametrize("date_of_birth", BAD_BIRTH_DATES)
def test_api_refuses_an_implausible_date_of_birth(prescriber_client, date_of_birth):
    response = post(prescriber_client, "/api/v1/patients/", body(date_of_birth=date_of_birth))
    assert response.status_code == 400
    assert "date_of_birth" in response.json()["errors"]
    assert not Patient.objects.filter(mrn="API-1").exists()


@pytest.mark.parametrize("date_of_birth", ["0563-01-01", "1899-12-31"])
def test_form_refuses_a_date_of_birth_before_1900(clinic, date_of_birth):
    form = PatientForm(
        {
            **body(date_of_birth=date_of_birth),
            "time_zone": "Europe/London",
            "reminder_weekday": "0",
            "reminder_time": "09:00",
        },
        clinic=clinic,
    )
    assert not form.is_valid()
    assert "from 1900" in form.errors["date_of_birth"][0]


def test_api_accepts_a_plausible_patient(prescriber_client):
    response = post(
        prescriber_client,
        "/api/v1/patients/",
        body(phone="+44 7700 900123", date_of_birth="1900-01-01"),
    )
    assert response.status_code == 201, response.content

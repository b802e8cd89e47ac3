"""The patient form's own checks (the service adds the MRN check)."""

from __future__ import annotations

import pytest

from patients.forms import PatientForm

pytestmark = pytest.mark.django_db


def data(**overrides):
    base = {
        "first_name": "Mary",
        "last_name": "Jones",
        "mrn": " RX-1 ",
        "date_of_birth": "1961-03-14",
        "email": "",
        "phone": "07700 900123",
        "time_zone": "Europe/London",
        "reminder_weekday": "2",
        "reminder_time": "18:30",
    }
    base.update(overrides)
    return base


def test_valid_with_a_phone_only(clinic):
    form = PatientForm(data(), clinic=clinic)
    assert form.is_valid(), form.errors
    assert form.service_data()["mrn"] == "RX-1"


@pytest.mark.parametrize("phone", ["+44 7700 900123", "(020) 7946-0123", "2025550143"])
def test_phone_formats_clinicians_type(clinic, phone):
    assert PatientForm(data(phone=phone), clinic=clinic).is_valid()


@pytest.mark.parametrize("phone", ["123", "07700 900123 ext 4", "+44 7700 900123 4567 8901"])
def test_phone_must_be_a_number(clinic, phone):
    form = PatientForm(data(phone=phone), clinic=clinic)
    assert not form.is_valid()
    assert "7 to 15 digits" in form.errors["phone"][0]


def test_unknown_time_zone(clinic):
    form = PatientForm(data(time_zone="Mars/Olympus"), clinic=clinic)
    assert not form.is_valid() and "time_zone" in form.errors

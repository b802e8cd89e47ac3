from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from tests.factories import NurseFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_mrn_is_unique_within_a_clinic_but_not_across(clinic, other_clinic):
    PatientFactory(clinic=clinic, mrn="A1")
    PatientFactory(clinic=other_clinic, mrn="A1")
    with pytest.raises(IntegrityError):
        PatientFactory(clinic=clinic, mrn="A1")


def test_date_of_birth_in_the_future_is_rejected(clinic):
    patient = PatientFactory.build(clinic=clinic, date_of_birth=datetime.date(2999, 1, 1))
    with pytest.raises(ValidationError) as excinfo:
        patient.full_clean()
    assert "Date of birth cannot be in the future." in excinfo.value.message_dict["date_of_birth"]


def test_a_contact_is_needed_for_reminders(clinic):
    patient = PatientFactory.build(clinic=clinic, email="", phone="")
    with pytest.raises(ValidationError) as excinfo:
        patient.full_clean()
    assert "e-mail address or a phone number" in excinfo.value.message_dict["email"][0]


def test_care_team_must_belong_to_the_clinic(clinic, other_clinic):
    outsider = NurseFactory(clinic=other_clinic)
    patient = PatientFactory.build(clinic=clinic, nurse=outsider)
    with pytest.raises(ValidationError) as excinfo:
        patient.full_clean()
    assert "nurse" in excinfo.value.message_dict


def test_patient_str_carries_no_name(patient):
    assert patient.first_name not in str(patient)
    assert patient.last_name not in str(patient)


def test_changes_are_audited_with_who_and_when(patient, prescriber):
    patient._history_user = prescriber
    patient.phone = "07700 900123"
    patient.save()
    latest = patient.history.first()
    assert latest.history_user == prescriber
    assert latest.phone == "07700 900123"
    assert patient.history.count() == 2

"""A user never sees another clinic's patient, by list or by id."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_patient_list_shows_only_own_clinic(prescriber_client, patient, other_patient):
    page = prescriber_client.get(reverse("patients:list")).content.decode()
    assert patient.last_name in page
    assert other_patient.last_name not in page


def test_other_clinics_patient_is_404_by_id(prescriber_client, other_patient):
    response = prescriber_client.get(reverse("patients:detail", args=[other_patient.pk]))
    assert response.status_code == 404


def test_own_patient_detail_shows_their_details(nurse_client, patient):
    page = nurse_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert patient.mrn in page
    assert patient.full_name in page


def test_search_by_mrn_and_name(prescriber_client, clinic):
    from tests.factories import PatientFactory

    PatientFactory(clinic=clinic, mrn="ZZ-1", last_name="Quigley")
    PatientFactory(clinic=clinic, mrn="ZZ-2", last_name="Harrow")
    page = prescriber_client.get(reverse("patients:list"), {"q": "zz-1"}).content.decode()
    assert "Quigley" in page and "Harrow" not in page
    page = prescriber_client.get(reverse("patients:list"), {"q": "harr"}).content.decode()
    assert "Harrow" in page and "Quigley" not in page


def test_patient_names_are_escaped(prescriber_client, clinic):
    from tests.factories import PatientFactory

    PatientFactory(clinic=clinic, last_name="<script>alert(1)</script>")
    page = prescriber_client.get(reverse("patients:list")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page

"""A clinic's name and phone are one line: control characters would reach headers (e-mail
subjects) and the .ics calendar name."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Clinic, User
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db

BAD_NAMES = [
    "Riverside\r\nX-Injected: 1",
    "Riverside\nClinic",
    "Riverside\tClinic",
    "Riverside\x00",
    "Riverside\u2028Clinic",
    "Riverside\x85Clinic",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_clinic_name_with_a_control_character_is_invalid(name):
    clinic = Clinic(name=name, phone="020 7946 0123")
    with pytest.raises(ValidationError) as error:
        clinic.full_clean()
    assert "name" in error.value.message_dict


def test_clinic_phone_with_a_line_break_is_invalid():
    with pytest.raises(ValidationError) as error:
        Clinic(name="Riverside", phone="020\r\n7946").full_clean()
    assert "phone" in error.value.message_dict


def test_an_ordinary_clinic_name_is_valid():
    Clinic(name="St Mary's — Clínica Río (Ward 3)", phone="020 7946 0123").full_clean()


def test_admin_refuses_a_clinic_name_with_a_line_break(client):
    boss = User.objects.create_superuser("root", "root@example.org", "pw-long-and-unusual-9")
    client.force_login(boss)
    clinic = ClinicFactory(name="Riverside")
    response = client.post(
        reverse("admin:accounts_clinic_change", args=[clinic.pk]),
        {
            "name": "Riverside\r\nX-Injected: 1",
            "country": "GB",
            "time_zone": "Europe/London",
            "phone": "020 7946 0123",
        },
    )
    assert response.status_code == 200
    assert "Use one line of text" in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.name == "Riverside"

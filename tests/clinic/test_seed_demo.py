from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import Clinic, User
from patients.models import Patient

pytestmark = pytest.mark.django_db

DEMO_USERS = {"prescriber", "nurse", "admin", "other-prescriber", "other-nurse"}


@override_settings(DEBUG=True)
def test_seed_demo_is_idempotent():
    call_command("seed_demo", verbosity=0)
    counts = (Clinic.objects.count(), User.objects.count(), Patient.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Clinic.objects.count(), User.objects.count(), Patient.objects.count()) == counts
    assert counts[0] == 2
    assert set(User.objects.values_list("username", flat=True)) == DEMO_USERS


@override_settings(DEBUG=True)
def test_seed_demo_users_log_in_with_the_demo_password_in_two_clinics(client):
    call_command("seed_demo", verbosity=0)
    prescriber = User.objects.get(username="prescriber")
    other = User.objects.get(username="other-prescriber")
    assert prescriber.check_password("demo-password")
    assert prescriber.clinic != other.clinic
    assert prescriber.is_prescriber and User.objects.get(username="admin").is_clinic_admin


@override_settings(DEBUG=False)
def test_seed_demo_refuses_when_debug_is_off():
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo", verbosity=0)
    assert not User.objects.exists()

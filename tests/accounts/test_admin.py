"""A clinic admin manages the users of their own clinic only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, clinic_admin):
    clinic_admin.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "add_user", "change_user"])
    )
    client.force_login(clinic_admin)
    return client


def test_clinic_admin_lists_only_their_clinics_staff(admin_client, prescriber, other_prescriber):
    page = admin_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "dr-shah" in page
    assert "dr-reyes" not in page


def test_clinic_admin_cannot_open_another_clinics_user(admin_client, other_prescriber):
    url = reverse("admin:accounts_user_change", args=[other_prescriber.pk])
    response = admin_client.get(url)
    assert response.status_code in (302, 404)  # admin redirects a missing object to the index
    assert "dr-reyes" not in admin_client.get(url, follow=True).content.decode()


def test_user_added_by_clinic_admin_joins_their_clinic(admin_client, clinic, other_clinic):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "new-nurse",
            "password1": "A-long-unusual-passphrase-42",
            "password2": "A-long-unusual-passphrase-42",
            "usable_password": "true",
            "first_name": "New",
            "last_name": "Nurse",
            "email": "new@example.org",
            "role": User.Role.NURSE,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = User.objects.get(username="new-nurse")
    assert created.clinic == clinic
    assert not created.is_superuser

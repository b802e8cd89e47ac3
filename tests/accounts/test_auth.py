"""Staff log in and out; the nav shows what their role may do; lockout after failures."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_with_right_password_shows_the_clinic_dashboard(client, nurse):
    # A nurse of a clinic without the two-factor policy: the password is the whole login
    # (tests/accounts/test_two_factor.py has the second step of the others).
    response = client.post(
        reverse("login"), {"username": "nurse-evans", "password": "secret-password"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "Riverside" in response.content.decode()


def test_login_with_wrong_password_says_so_and_stays_logged_out(client, prescriber):
    response = client.post(reverse("login"), {"username": "dr-shah", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(prescriber_client):
    response = prescriber_client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert prescriber_client.get(reverse("dashboard")).status_code == 302


def test_pages_need_a_login(client):
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_user_without_clinic_role_is_refused(client, django_user_model):
    loner = django_user_model.objects.create_user("loner", password="x")
    client.force_login(loner)
    assert client.get(reverse("dashboard")).status_code == 403


def test_nav_shows_manage_staff_only_to_clinic_admins(client, prescriber, clinic_admin):
    client.force_login(prescriber)
    assert "Manage staff" not in client.get(reverse("dashboard")).content.decode()
    client.force_login(clinic_admin)
    assert "Manage staff" in client.get(reverse("dashboard")).content.decode()


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_repeated_failed_logins_lock_the_account(client, prescriber):
    for _ in range(3):
        client.post(reverse("login"), {"username": "dr-shah", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "dr-shah", "password": "secret-password"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

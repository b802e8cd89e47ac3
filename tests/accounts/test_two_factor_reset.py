"""A clinic admin resets a staff member's authenticator after a lost phone: in their own clinic
only, never their own or a superuser's, with their own re-authentication, recorded."""

from __future__ import annotations

import datetime
import logging

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import RecoveryCodeDevice, User
from accounts.two_factor import new_recovery_codes
from accounts.two_factor_reset import RESET_PREFIX
from tests.conftest import VerifiedClient
from tests.factories import ClinicAdminFactory, PrescriberFactory

pytestmark = pytest.mark.django_db

ENROL = reverse("accounts:two-factor-enrol")


def reset_url(user) -> str:
    return reverse("accounts:staff-two-factor-reset", args=[user.pk])


def enrolled(user) -> None:
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    new_recovery_codes(user)


def has_devices(user) -> bool:
    return (
        TOTPDevice.objects.filter(user=user).exists()
        or RecoveryCodeDevice.objects.filter(user=user).exists()
    )


@pytest.fixture
def admin_client(client, clinic_admin):
    clinic_admin.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    client.force_login(clinic_admin)
    return client


def test_clinic_admin_resets_a_prescribers_authenticator_and_they_enrol_at_next_login(
    admin_client, clinic_admin, prescriber
):
    enrolled(prescriber)
    page = admin_client.get(reset_url(prescriber))
    assert page.status_code == 200
    assert "10 recovery codes left" in page.content.decode()
    response = admin_client.post(reset_url(prescriber))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_user_change", args=[prescriber.pk])
    assert not has_devices(prescriber)
    # the next login: the password, then a new authenticator before anything else
    member = VerifiedClient()
    login = member.post(
        reverse("login"), {"username": "dr-shah", "password": "secret-password"}, follow=True
    )
    assert login.redirect_chain[-1][0].startswith(ENROL)
    assert member.get("/patients/")["Location"].startswith(ENROL)


def test_the_members_open_sessions_end(admin_client, prescriber):
    member = VerifiedClient()
    member.force_login(prescriber)
    assert member.get("/patients/").status_code == 200
    admin_client.post(reset_url(prescriber))
    response = member.get("/patients/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_reset_is_recorded_with_who_whom_and_when(admin_client, clinic_admin, nurse, caplog):
    enrolled(nurse)
    caplog.set_level(logging.INFO)
    before = datetime.datetime.now(tz=datetime.UTC)
    admin_client.post(reset_url(nurse))
    row = User.history.filter(id=nurse.pk).order_by("-history_date").first()
    assert row is not None
    assert row.history_change_reason.startswith(RESET_PREFIX)
    assert row.history_user_id == clinic_admin.pk
    assert row.history_date >= before
    assert (
        f"User #{clinic_admin.pk} reset the two-factor devices of user #{nurse.pk}" in caplog.text
    )
    assert nurse.username not in caplog.text and nurse.last_name not in caplog.text
    # the admin sees it on the member's history page and on the reset page
    history = admin_client.get(reverse("admin:accounts_user_history", args=[nurse.pk]))
    assert RESET_PREFIX in history.content.decode()
    assert "Last reset by" in admin_client.get(reset_url(nurse)).content.decode()


def test_another_clinics_member_is_a_404(admin_client, other_prescriber):
    enrolled(other_prescriber)
    assert admin_client.get(reset_url(other_prescriber)).status_code == 404
    assert admin_client.post(reset_url(other_prescriber)).status_code == 404
    assert has_devices(other_prescriber)


@pytest.mark.parametrize("role", ["prescriber", "nurse"])
def test_prescribers_and_nurses_may_not(client, request, role, clinic):
    actor = request.getfixturevalue(role)
    target = ClinicAdminFactory(clinic=clinic, username="admin-other")
    enrolled(target)
    client.force_login(actor)
    assert client.get(reset_url(target)).status_code == 403
    assert client.post(reset_url(target)).status_code == 403
    assert has_devices(target)


def test_a_clinic_admin_may_not_reset_their_own(admin_client, clinic_admin):
    enrolled(clinic_admin)
    assert admin_client.get(reset_url(clinic_admin)).status_code == 403
    assert admin_client.post(reset_url(clinic_admin)).status_code == 403
    assert has_devices(clinic_admin)


def test_a_clinic_admin_may_not_reset_a_superusers(admin_client, clinic):
    root = User.objects.create_superuser("root", password="pw-Root-12345", clinic=clinic)
    enrolled(root)
    assert admin_client.post(reset_url(root)).status_code == 403
    assert has_devices(root)


def test_anonymous_is_sent_to_login(client, prescriber):
    response = client.get(reset_url(prescriber))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_admin_must_have_authenticated_in_the_last_5_minutes(admin_client, prescriber):
    enrolled(prescriber)
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=6)
    with time_machine.travel(later, tick=False):
        page = admin_client.get(reset_url(prescriber)).content.decode()
        assert 'name="reauth"' in page
        assert admin_client.post(reset_url(prescriber)).status_code == 400
        assert has_devices(prescriber)
        assert admin_client.post(reset_url(prescriber), {"reauth": "wrong"}).status_code == 400
        assert has_devices(prescriber)
        response = admin_client.post(reset_url(prescriber), {"reauth": "secret-password"})
        assert response.status_code == 302
    assert not has_devices(prescriber)


def test_the_members_admin_page_has_the_button_and_a_csp(admin_client, clinic_admin, clinic):
    member = PrescriberFactory(clinic=clinic, username="dr-lost")
    page = admin_client.get(reverse("admin:accounts_user_change", args=[member.pk]))
    assert page.status_code == 200
    assert f'href="{reset_url(member)}"' in page.content.decode()
    own = admin_client.get(reverse("admin:accounts_user_change", args=[clinic_admin.pk]))
    assert 'data-testid="reset-two-factor"' not in own.content.decode()
    reset_page = admin_client.get(reset_url(member))
    csp = reset_page["Content-Security-Policy"]
    assert "script-src" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "<script>" not in reset_page.content.decode()


def test_the_page_says_what_a_reset_means_for_a_member_who_needs_no_two_factor(
    admin_client, nurse, prescriber
):
    enrolled(nurse)
    assert "password alone" in admin_client.get(reset_url(nurse)).content.decode()
    page = admin_client.get(reset_url(prescriber)).content.decode()
    assert "set up a new authenticator before anything else" in page

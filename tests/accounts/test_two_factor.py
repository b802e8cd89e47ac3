"""Two-factor authentication: enrolment, verification, recovery codes, the lockout of an
unverified session, and who must use it (prescribers and clinic admins always, nurses by clinic
policy)."""

from __future__ import annotations

import datetime
import logging
import re
from base64 import b32encode

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from accounts.models import RecoveryCode
from accounts.recovery_codes import matches
from accounts.two_factor import new_recovery_codes
from tests.conftest import verify_session

pytestmark = pytest.mark.django_db

ENROL = reverse("accounts:two-factor-enrol")
VERIFY = reverse("accounts:two-factor-verify")
SECURITY = reverse("accounts:security")


def soon() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(seconds=5)


def code_for(device: TOTPDevice) -> str:
    """The device's current six-digit code, as the authenticator app shows it."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def password_login(client, username: str):
    return client.post(
        reverse("login"), {"username": username, "password": "secret-password"}, follow=True
    )


CODE = r"<li>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</li>"


def stored_codes(user, codes) -> set[str]:
    """Which of ``codes`` the user's stored hashes stand for (without using them up)."""
    rows = list(RecoveryCode.objects.filter(device__user=user))
    return {c for c in codes if any(matches(c, row.salt, row.digest) for row in rows)}


def codes_left(user) -> int:
    return RecoveryCode.objects.filter(device__user=user).count()


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


# --- enrolment --------------------------------------------------------------------------------


def test_prescriber_without_a_device_is_sent_to_enrolment_after_the_password(client, prescriber):
    response = password_login(client, "dr-shah")
    assert response.redirect_chain[-1][0].startswith(ENROL)
    page = response.content.decode()
    assert "<svg" in page and 'data-testid="qr"' in page
    device = TOTPDevice.objects.get(user=prescriber, confirmed=False)
    secret = b32encode(device.bin_key).decode()
    shown = re.search(r'data-testid="secret">([^<]+)<', page)
    assert shown and shown.group(1).replace(" ", "") == secret
    assert secret not in response.redirect_chain[-1][0]  # nothing of the secret in a URL


def test_enrolment_confirmed_with_a_valid_code_shows_ten_recovery_codes_once(client, prescriber):
    password_login(client, "dr-shah")
    device = TOTPDevice.objects.get(user=prescriber, confirmed=False)
    response = client.post(ENROL, {"code": code_for(device), "next": "/patients/"})
    assert response.status_code == 200
    page = response.content.decode()
    codes = re.findall(CODE, page)
    assert len(codes) == 10
    assert stored_codes(prescriber, codes) == set(codes) and codes_left(prescriber) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/patients/").status_code == 200  # the session is verified
    # the codes are never shown again: the Security page only counts them
    security = client.get(SECURITY).content.decode()
    assert "10 recovery codes left" in security and codes[0] not in security


def test_enrolment_with_a_wrong_code_is_refused(client, prescriber):
    password_login(client, "dr-shah")
    response = client.post(ENROL, {"code": "000000"})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=prescriber, confirmed=True).exists()
    assert client.get("/patients/").status_code == 302


def test_an_enrolled_user_cannot_add_a_device_with_the_password_alone(client, prescriber):
    enrolled(prescriber)
    password_login(client, "dr-shah")
    response = client.get(ENROL)
    assert response.status_code == 302 and response["Location"] == VERIFY
    assert not TOTPDevice.objects.filter(user=prescriber, confirmed=False).exists()


def test_the_key_and_codes_are_never_logged(client, prescriber, caplog):
    caplog.set_level(logging.DEBUG)
    password_login(client, "dr-shah")
    device = TOTPDevice.objects.get(user=prescriber, confirmed=False)
    code = code_for(device)
    page = client.post(ENROL, {"code": code}).content.decode()
    codes = re.findall(CODE, page)
    logged = caplog.text
    assert device.key not in logged and code not in logged
    assert not any(c in logged for c in codes)


# --- verification -----------------------------------------------------------------------------


def test_verify_with_a_code_lets_the_user_in_and_goes_on_to_next(client, prescriber):
    device = enrolled(prescriber)
    response = client.post(
        reverse("login"),
        {"username": "dr-shah", "password": "secret-password", "next": "/patients/"},
    )
    assert response["Location"] == "/patients/"
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"] == VERIFY + "?next=%2Fpatients%2F"
    response = client.post(VERIFY, {"code": code_for(device), "next": "/patients/"})
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200


def test_verify_refuses_a_wrong_code_and_an_outside_next(client, prescriber):
    device = enrolled(prescriber)
    password_login(client, "dr-shah")
    response = client.post(VERIFY, {"code": "123456"})
    assert response.status_code == 400
    assert client.get("/patients/").status_code == 302
    with time_machine.travel(soon(), tick=False):  # after django-otp's throttle delay
        response = client.post(VERIFY, {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("dashboard")


def test_a_recovery_code_works_once(client, prescriber):
    enrolled(prescriber)
    codes = new_recovery_codes(prescriber)
    password_login(client, "dr-shah")
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 302
    assert client.get("/patients/").status_code == 200
    client.post(reverse("logout"))
    password_login(client, "dr-shah")
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 400  # used up
    assert client.get("/patients/").status_code == 302
    with time_machine.travel(soon(), tick=False):  # after django-otp's throttle delay
        assert client.post(VERIFY, {"code": codes[1].upper()}).status_code == 302
    assert codes_left(prescriber) == 8


# --- the lockout until verified ---------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/patients/", "/checkins/", "/admin/", SECURITY])
def test_an_unverified_session_is_sent_to_verify_from_every_page(client, prescriber, url):
    enrolled(prescriber)
    client.force_login(prescriber, two_factor=False)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


def test_an_unverified_session_gets_403_from_the_api_and_can_log_out(client, prescriber, patient):
    enrolled(prescriber)
    client.force_login(prescriber, two_factor=False)
    assert client.get("/api/v1/drugs/").status_code == 403
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 403
    response = client.post("/api/v1/schedules/preview/", {}, content_type="application/json")
    assert response.status_code == 403
    assert "Two-factor" in response.json()["detail"]
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_token_authenticated_api_calls_are_unaffected(client, prescriber):
    _, token = AuthToken.objects.create(user=prescriber)
    response = client.get("/api/v1/drugs/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200


def test_the_verify_page_shows_no_navigation(client, prescriber):
    enrolled(prescriber)
    client.force_login(prescriber, two_factor=False)
    page = client.get(VERIFY).content.decode()
    assert 'href="/patients/"' not in page and "Log out" in page


# --- who must use it --------------------------------------------------------------------------


def test_clinic_admin_must_use_two_factor(client, clinic_admin):
    response = password_login(client, "admin-morgan")
    assert response.redirect_chain[-1][0].startswith(ENROL)


def test_nurse_without_the_clinic_policy_may_enrol_from_the_security_page(client, nurse):
    password_login(client, "nurse-evans")
    assert client.get("/patients/").status_code == 200
    page = client.get(SECURITY).content.decode()
    assert "Optional for you" in page
    assert client.get(ENROL).status_code == 200
    device = TOTPDevice.objects.get(user=nurse, confirmed=False)
    assert client.post(ENROL, {"code": code_for(device)}).status_code == 200
    assert "On" in client.get(SECURITY).content.decode()
    # a nurse who chose two-factor is asked for the code at the next login too
    client.post(reverse("logout"))
    response = password_login(client, "nurse-evans")
    assert response.redirect_chain[-1][0].startswith(VERIFY)


def test_nurse_in_a_clinic_with_the_policy_must_enrol(client, nurse, clinic):
    clinic.nurses_need_2fa = True
    clinic.save()
    response = password_login(client, "nurse-evans")
    assert response.redirect_chain[-1][0].startswith(ENROL)
    assert client.get("/checkins/").status_code == 302


def test_the_policy_is_a_clinic_setting_in_the_admin(client, clinic, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(root)
    url = reverse("admin:accounts_clinic_change", args=[clinic.pk])
    assert 'name="nurses_need_2fa"' in client.get(url).content.decode()


def test_security_page_makes_new_recovery_codes_and_the_old_stop_working(client, prescriber):
    client.force_login(prescriber)
    old = new_recovery_codes(prescriber)
    page = client.post(SECURITY, {"action": "codes"}).content.decode()
    new = re.findall(CODE, page)
    assert len(new) == 10 and not set(old) & set(new)
    assert stored_codes(prescriber, new) == set(new) and codes_left(prescriber) == 10
    assert stored_codes(prescriber, old) == set()


def test_new_recovery_codes_need_a_recent_authentication(client, prescriber):
    client.force_login(prescriber)
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=6)
    with time_machine.travel(later, tick=False):
        response = client.post(SECURITY, {"action": "codes"})
        assert response.status_code == 400
        assert codes_left(prescriber) == 0
        response = client.post(SECURITY, {"action": "codes", "reauth": "wrong"})
        assert response.status_code == 400
        response = client.post(SECURITY, {"action": "codes", "reauth": "secret-password"})
        assert response.status_code == 200
        assert codes_left(prescriber) == 10


def test_a_lost_phone_recovery_code_then_replace_the_authenticator(client, prescriber):
    old = enrolled(prescriber)
    codes = new_recovery_codes(prescriber)
    password_login(client, "dr-shah")
    client.post(VERIFY, {"code": codes[0]})
    response = client.post(SECURITY, {"action": "remove"})
    assert response["Location"] == ENROL
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert client.get("/patients/")["Location"].startswith(ENROL)  # enrol before anything else
    assert client.get(ENROL).status_code == 200
    device = TOTPDevice.objects.get(user=prescriber, confirmed=False)
    assert client.post(ENROL, {"code": code_for(device)}).status_code == 200
    assert client.get("/patients/").status_code == 200


def test_a_nurse_may_turn_optional_two_factor_off(client, nurse):
    client.force_login(nurse)
    enrolled(nurse)
    new_recovery_codes(nurse)
    verify_session(client, nurse)
    response = client.post(SECURITY, {"action": "remove"})
    assert response["Location"] == SECURITY
    assert "Optional for you" in client.get(SECURITY).content.decode()
    client.post(reverse("logout"))
    assert password_login(client, "nurse-evans").redirect_chain[-1][0] == "/"


def test_helper_marks_a_session_verified(client, prescriber):
    client.force_login(prescriber, two_factor=False)
    verify_session(client, prescriber)
    assert client.get("/patients/").status_code == 200

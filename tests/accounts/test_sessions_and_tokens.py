"""Sessions end when idle, after 12 hours, at logout and on deactivation; logins from an address
spraying usernames are refused; API tokens are hashed and expire; passwords change in the app."""

from __future__ import annotations

import datetime
import io
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from knox.models import AuthToken

from accounts.models import User
from tests.conftest import verify_session
from tests.factories import PrescriberFactory
from tests.test_settings_guards import ROOT

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 12, 3, 8, 0, tzinfo=datetime.UTC)


PASSWORD = "secret-password"


def login(client, username="dr-shah", password=PASSWORD):
    """The login form, then the two-factor step passed (tests/conftest.verify_session)."""
    response = client.post(reverse("login"), {"username": username, "password": password})
    user = User.objects.get(username=username)
    if response.status_code == 302 and user.needs_two_factor:
        verify_session(client, user)
    return response


def test_the_session_cookie_ends_with_the_browser(client, prescriber):
    response = login(client)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]


def test_thirty_idle_minutes_end_the_session(client, prescriber):
    with time_machine.travel(START, tick=False) as clock:
        login(client)
        clock.shift(datetime.timedelta(minutes=29))
        assert client.get(reverse("dashboard")).status_code == 200  # activity renews it
        clock.shift(datetime.timedelta(minutes=29))
        assert client.get(reverse("dashboard")).status_code == 200
        clock.shift(datetime.timedelta(minutes=31))
        assert client.get(reverse("dashboard")).status_code == 302


def test_twelve_hours_after_login_the_session_ends_however_active(client, prescriber):
    with time_machine.travel(START, tick=False) as clock:
        login(client)
        for _ in range(12 * 3):
            clock.shift(datetime.timedelta(minutes=20))
            assert client.get(reverse("dashboard")).status_code == 200
        clock.shift(datetime.timedelta(minutes=1))
        response = client.get(reverse("dashboard"))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
        api = client.get("/api/v1/patients/")
        assert api.status_code in (401, 403)


def test_deactivating_a_user_ends_their_session(client, prescriber):
    login(client)
    assert client.get(reverse("dashboard")).status_code == 200
    prescriber.is_active = False
    prescriber.save()
    assert client.get(reverse("dashboard")).status_code == 302


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, TAPER_LOGIN_SPRAY_LIMIT=4)
def test_one_address_spraying_usernames_is_refused(client, clinic):
    victims = [PrescriberFactory(clinic=clinic, username=f"user{i}") for i in range(6)]
    for victim in victims[:4]:  # one guess each: axes alone would never lock anyone
        login(client, victim.username, "Winter2026!")
    response = login(client, victims[5].username, "secret-password")  # even the right password
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 403, 429)
    other_address = client.post(
        reverse("login"),
        {"username": victims[5].username, "password": "secret-password"},
        REMOTE_ADDR="10.9.8.7",
    )
    assert other_address.status_code == 302  # another address is not affected


def test_api_tokens_are_hashed_expire_and_authenticate(client, prescriber):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "dr-shah", "--days", "2", stdout=out, stderr=err)
    token = out.getvalue().strip()
    stored = AuthToken.objects.get(user=prescriber)
    assert token not in (stored.digest, stored.token_key)  # only a hash and a prefix are kept
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get("/api/v1/patients/", **headers).status_code == 200
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3)):
        expired = client.get("/api/v1/patients/", **headers)
        assert expired.status_code in (401, 403)
        assert "token" in expired.content.decode().lower()


def test_password_change_in_the_app_uses_argon2_in_production(client, prescriber):
    login(client)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "secret-password",
            "new_password1": "a-much-longer-passphrase-42",
            "new_password2": "a-much-longer-passphrase-42",
        },
    )
    assert response.status_code == 302
    prescriber.refresh_from_db()
    assert prescriber.check_password("a-much-longer-passphrase-42")


def test_production_settings_hash_with_argon2_first():
    code = "import taper_clinic.settings as s; print(s.PASSWORD_HASHERS[0])"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"DJANGO_READ_DOT_ENV_FILE": "False", "DJANGO_DEBUG": "True", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"

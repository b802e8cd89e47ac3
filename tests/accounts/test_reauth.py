"""Signing needs a password or an authenticator code within the last 5 minutes: on the plan
page (a field in the sign form) and in the API (``password`` or ``otp`` in the body; with a
token, always)."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from schedules.models import PlanRevision
from tests.accounts.test_two_factor import code_for
from tests.plan_helpers import draft_plan

pytestmark = pytest.mark.django_db

LABEL = "Your password or a code from your authenticator"


def minutes_later(minutes: float) -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=minutes)


@pytest.fixture
def draft(patient, prescriber):
    return draft_plan(patient, prescriber)


def signed(draft) -> bool:
    draft.refresh_from_db()
    return draft.status == PlanRevision.Status.SIGNED


def sign_api(client, draft, body, **headers):
    return client.post(
        f"/api/v1/plans/{draft.plan_id}/sign/",
        json.dumps({"confirm": True, **body}),
        content_type="application/json",
        **headers,
    )


# --- the plan page ----------------------------------------------------------------------------


def test_right_after_login_the_sign_form_asks_nothing_more(prescriber_client, draft):
    page = prescriber_client.get(f"/plans/{draft.plan_id}/").content.decode()
    assert LABEL not in page
    response = prescriber_client.post(f"/plans/{draft.plan_id}/sign/", {"confirm": "on"})
    assert response.status_code == 302 and signed(draft)


def test_after_five_minutes_signing_needs_the_password(prescriber_client, draft):
    with time_machine.travel(minutes_later(6), tick=False):
        page = prescriber_client.get(f"/plans/{draft.plan_id}/").content.decode()
        assert LABEL in page and 'type="password"' in page
        url = f"/plans/{draft.plan_id}/sign/"
        response = prescriber_client.post(url, {"confirm": "on"})
        assert response.status_code == 400 and not signed(draft)
        assert "Signing needs your password" in response.content.decode()
        response = prescriber_client.post(url, {"confirm": "on", "reauth": "wrong-password"})
        assert response.status_code == 400 and not signed(draft)
        assert "not your password" in response.content.decode()
        response = prescriber_client.post(url, {"confirm": "on", "reauth": "secret-password"})
        assert response.status_code == 302 and signed(draft)


def test_after_five_minutes_a_code_from_the_authenticator_also_does(
    prescriber_client, prescriber, draft
):
    device = TOTPDevice.objects.get(user=prescriber, confirmed=True)
    with time_machine.travel(minutes_later(6), tick=False):
        response = prescriber_client.post(
            f"/plans/{draft.plan_id}/sign/", {"confirm": "on", "reauth": code_for(device)}
        )
        assert response.status_code == 302 and signed(draft)


def test_a_confirmation_restarts_the_five_minutes(prescriber_client, draft):
    url = f"/plans/{draft.plan_id}/sign/"
    with time_machine.travel(minutes_later(6), tick=False):
        # the box is not ticked, so nothing is signed, but the password was right
        response = prescriber_client.post(url, {"reauth": "secret-password"})
        assert response.status_code == 400 and not signed(draft)
    with time_machine.travel(minutes_later(10), tick=False):
        assert LABEL not in prescriber_client.get(f"/plans/{draft.plan_id}/").content.decode()
        assert prescriber_client.post(url, {"confirm": "on"}).status_code == 302
        assert signed(draft)


# --- the API ----------------------------------------------------------------------------------


def test_api_sign_with_a_fresh_session_needs_nothing_more(prescriber_client, draft):
    assert sign_api(prescriber_client, draft, {}).status_code == 200
    assert signed(draft)


def test_api_sign_after_five_minutes_is_refused_without_and_accepted_with_the_password(
    prescriber_client, draft
):
    with time_machine.travel(minutes_later(6), tick=False):
        response = sign_api(prescriber_client, draft, {})
        assert response.status_code == 403
        assert "password" in response.json()["errors"]["reauth"][0]
        assert not signed(draft)
        response = sign_api(prescriber_client, draft, {"password": "not-it"})
        assert response.status_code == 403 and "reauth" in response.json()["errors"]
        assert not signed(draft)
        response = sign_api(prescriber_client, draft, {"password": "secret-password"})
        assert response.status_code == 200, response.content
        assert signed(draft)


def test_api_sign_after_five_minutes_with_an_authenticator_code(
    prescriber_client, prescriber, draft
):
    device = TOTPDevice.objects.get(user=prescriber, confirmed=True)
    with time_machine.travel(minutes_later(6), tick=False):
        response = sign_api(prescriber_client, draft, {"otp": code_for(device)})
        assert response.status_code == 200 and signed(draft)


def test_a_token_alone_never_signs(client, prescriber, draft):
    _, token = AuthToken.objects.create(user=prescriber)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    response = sign_api(client, draft, {}, **auth)
    assert response.status_code == 403 and "reauth" in response.json()["errors"]
    assert not signed(draft)
    response = sign_api(client, draft, {"password": "secret-password"}, **auth)
    assert response.status_code == 200 and signed(draft)


def test_a_token_signs_with_a_code(client, prescriber, draft):
    device = TOTPDevice.objects.create(user=prescriber, name="Phone", confirmed=True)
    _, token = AuthToken.objects.create(user=prescriber)
    response = sign_api(
        client, draft, {"otp": code_for(device)}, HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 200 and signed(draft)

"""The patient's link: single use, expiring, stored hashed; the page and what it shows after."""

from __future__ import annotations

import datetime
import hashlib

import pytest
import time_machine
from django.core import mail

from checkins import services
from checkins.models import CheckIn, Invitation
from schedules.models import PlanRevision
from tests.checkins.helpers import IN_STEP_2, form_data, link_token, sent_invitation
from tests.factories import PatientFactory
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db

TOKEN = "tok-" + "a" * 43


@pytest.fixture
def plan(patient, prescriber):
    return signed_plan(patient, prescriber).plan


@pytest.fixture
def invitation(patient, plan):
    return sent_invitation(patient, plan, TOKEN)


def test_the_page_asks_every_self_report_item_and_the_red_flags_apart(client, invitation):
    with time_machine.travel(IN_STEP_2, tick=False):
        response = client.get(f"/c/{TOKEN}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('name="item_') == 17 * 5  # 17 items, 0-4 each
    assert "Have you had a seizure or fit?" in page
    assert "Not at all" in page and "Very much so" in page
    assert "Did you take your doses as scheduled this week?" in page
    assert response["Referrer-Policy"] == "same-origin"  # the token never leaves the site
    assert response["Cache-Control"] == "no-store"


def test_submitting_scores_the_answers_and_shows_this_and_next_weeks_doses(
    client, invitation, patient
):
    with time_machine.travel(IN_STEP_2, tick=False):
        response = client.post(f"/c/{TOKEN}/", form_data(1))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Thank you, your check-in has been sent" in page
    assert "Your doses this week" in page and "Your doses next week" in page
    assert "diazepam" in page.lower() and "tablet" in page
    assert "Your next check-in" in page
    assert "What to do now" not in page
    checkin = CheckIn.objects.get(patient=patient)
    assert (checkin.total, checkin.max, checkin.partial, checkin.band) == (17, 68, True, "")
    assert checkin.took_as_scheduled is True and checkin.extra_doses is False
    assert checkin.revision == PlanRevision.objects.filter(plan=invitation.plan).in_force().first()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED


def test_a_link_works_once(client, invitation, patient):
    with time_machine.travel(IN_STEP_2, tick=False):
        client.post(f"/c/{TOKEN}/", form_data(1))
        again = client.post(f"/c/{TOKEN}/", form_data(3))
        reopened = client.get(f"/c/{TOKEN}/")
    assert again.status_code == 410 and reopened.status_code == 410
    assert "already sent this check-in" in reopened.content.decode()
    assert CheckIn.objects.filter(patient=patient).count() == 1
    assert CheckIn.objects.get(patient=patient).total == 17


def test_an_expired_link_is_refused_kindly_with_the_clinic_phone(client, invitation, patient):
    after = invitation.expires_at + datetime.timedelta(minutes=1)
    with time_machine.travel(after, tick=False):
        response = client.post(f"/c/{TOKEN}/", form_data(1))
    page = response.content.decode()
    assert response.status_code == 410
    assert "expired" in page and patient.clinic.phone in page
    assert not CheckIn.objects.exists()


def test_an_unknown_token_says_nothing_about_any_clinic(client, invitation, patient):
    response = client.get("/c/not-a-real-token-at-all/")
    page = response.content.decode()
    assert response.status_code == 404
    assert patient.clinic.phone not in page and patient.clinic.name not in page
    assert "could not find" in page


def test_the_token_is_stored_only_as_its_hash(patient, plan):
    with time_machine.travel(datetime.datetime(2027, 1, 18, 9, 30, tzinfo=datetime.UTC)):
        ids = services.create_due_invitations()
        assert services.claim_and_send(ids[0]) is True
    token = link_token(mail.outbox[0])
    assert len(token) >= 43  # token_urlsafe(32)
    row = Invitation.objects.values().get(pk=ids[0])
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in row.values())


def test_a_token_opens_only_its_own_patients_check_in(client, invitation, patient, plan, clinic):
    other = PatientFactory(clinic=clinic, first_name="Bea", last_name="Other")
    sent_invitation(other, plan, "tok-" + "b" * 43, week_start=datetime.date(2027, 1, 11))
    with time_machine.travel(IN_STEP_2, tick=False):
        client.post(f"/c/{TOKEN}/", form_data(2))
    assert CheckIn.objects.get().patient == patient
    assert not CheckIn.objects.filter(patient=other).exists()


def test_another_clinics_patient_check_in_stays_in_that_clinic(
    client, nurse, other_patient, other_prescriber
):
    other_plan = signed_plan(other_patient, other_prescriber).plan
    sent_invitation(other_patient, other_plan, "tok-" + "c" * 43)
    with time_machine.travel(IN_STEP_2, tick=False):
        response = client.post("/c/tok-" + "c" * 43 + "/", form_data(1))
    assert response.status_code == 200
    assert other_patient.clinic.phone in response.content.decode()
    checkin = CheckIn.objects.get()
    assert checkin.patient == other_patient
    client.force_login(nurse)
    assert client.get(f"/checkins/{checkin.pk}/").status_code == 404
    assert client.get("/api/v1/checkins/queue/").json()["count"] == 0


def test_posts_are_rate_limited_per_address(client, settings):
    settings.TAPER_CHECKIN_POSTS_PER_HOUR = 3
    codes = [client.post("/c/unknown-token/", {}).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def test_a_skipped_question_is_saved_as_partial_not_refused(client, invitation, patient):
    data = form_data(2)
    del data["item_5"]
    with time_machine.travel(IN_STEP_2, tick=False):
        response = client.post(f"/c/{TOKEN}/", data)
    assert response.status_code == 200
    checkin = CheckIn.objects.get()
    assert checkin.partial and checkin.total == 32 and "5" not in checkin.answers


def test_red_flags_must_be_answered(client, invitation):
    data = form_data(1)
    del data["flag_seizure"]
    with time_machine.travel(IN_STEP_2, tick=False):
        response = client.post(f"/c/{TOKEN}/", data)
    assert response.status_code == 200
    assert "Please answer yes or no." in response.content.decode()
    assert not CheckIn.objects.exists()


def test_refused_links_leave_no_token_in_the_logs(client, invitation, caplog):
    with time_machine.travel(IN_STEP_2, tick=False):
        client.post(f"/c/{TOKEN}/", form_data(1))
        with caplog.at_level("DEBUG"):
            assert client.get(f"/c/{TOKEN}/").status_code == 410
            assert client.get("/c/some-unknown-token-value/").status_code == 404
    assert TOKEN not in caplog.text and "some-unknown-token-value" not in caplog.text

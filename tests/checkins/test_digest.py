"""Each nurse gets one e-mail a day about missed check-ins: a count and the queue's link."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from checkins import tasks
from checkins.models import Digest, Invitation
from tests.factories import InvitationFactory, PatientFactory
from tests.plan_helpers import draft_plan

pytestmark = pytest.mark.django_db

DUE = datetime.datetime(2027, 1, 18, 9, tzinfo=datetime.UTC)
MISSED_BY = datetime.datetime(2027, 1, 20, 9, 5, tzinfo=datetime.UTC)  # 48 hours after due


@pytest.fixture
def nurse_with_email(nurse):
    nurse.email = "nurse@riverside.example"
    nurse.save()
    return nurse


def unanswered(patient, prescriber, due=DUE):
    plan = draft_plan(patient, prescriber).plan  # not in force: the pass makes no new invitations
    monday = due.date() - datetime.timedelta(days=due.weekday())
    return InvitationFactory(patient=patient, plan=plan, due_at=due, week_start=monday)


def to_nurse(nurse):
    return [m for m in mail.outbox if nurse.email in m.to]


def test_two_missed_check_ins_make_one_email_and_a_second_pass_sends_none(
    nurse_with_email, prescriber, clinic, patient
):
    nurse = nurse_with_email
    patient.first_name, patient.last_name = "Mabel", "Missed"
    patient.save()
    other = PatientFactory(clinic=clinic, nurse=nurse, prescriber=prescriber)
    unanswered(patient, prescriber)
    unanswered(other, prescriber)
    with time_machine.travel(MISSED_BY, tick=False):
        call_command("send_due_reminders", stdout=io.StringIO())
    assert Invitation.objects.filter(status="missed").count() == 2
    [digest] = to_nurse(nurse)
    text = f"{digest.subject}\n{digest.body}"
    assert "2 check-ins were missed; see the queue" in digest.body
    assert "/checkins/" in digest.body
    for secret in ("Mabel", patient.mrn, other.mrn, other.last_name, other.first_name):
        assert secret not in text
    assert digest.subject == "Missed check-ins"

    with time_machine.travel(MISSED_BY + datetime.timedelta(hours=6), tick=False):
        call_command("send_due_reminders", stdout=io.StringIO())
    assert len(to_nurse(nurse)) == 1
    assert Digest.objects.get().count == 2


def test_a_check_in_missed_after_todays_digest_waits_for_tomorrows(
    nurse_with_email, prescriber, clinic, patient
):
    nurse = nurse_with_email
    unanswered(patient, prescriber)
    with time_machine.travel(MISSED_BY, tick=False):
        assert tasks.mark_missed_checkins() == 1
    later = PatientFactory(clinic=clinic, nurse=nurse, prescriber=prescriber)
    unanswered(later, prescriber, due=DUE + datetime.timedelta(hours=3))
    with time_machine.travel(MISSED_BY + datetime.timedelta(hours=3), tick=False):
        assert tasks.mark_missed_checkins() == 1
    assert len(to_nurse(nurse)) == 1  # one a day
    with time_machine.travel(MISSED_BY + datetime.timedelta(days=1), tick=False):
        tasks.mark_missed_checkins()
        tasks.mark_missed_checkins()
    first, second = to_nurse(nurse)
    assert "1 check-in was missed" in first.body and "1 check-in was missed" in second.body


def test_no_digest_without_missed_check_ins_or_for_another_nurse(
    nurse_with_email, prescriber, clinic, patient, other_patient, other_prescriber
):
    from tests.factories import UserFactory

    other_nurse = UserFactory(
        clinic=other_patient.clinic, role="nurse", email="nurse@elsewhere.example"
    )
    other_patient.nurse = other_nurse
    other_patient.save()
    unanswered(other_patient, other_prescriber)
    with time_machine.travel(MISSED_BY, tick=False):
        tasks.mark_missed_checkins()
    assert to_nurse(nurse_with_email) == []
    [theirs] = to_nurse(other_nurse)
    assert "1 check-in was missed" in theirs.body

"""Due reminders go out in batches: every patient gets one e-mail, a failed send does not hold
back the rest of its batch, and a retried or repeated batch sends nobody twice."""

from __future__ import annotations

import datetime
import smtplib

import pytest
import time_machine
from django.core import mail

from checkins import services, tasks
from checkins.models import Invitation
from tests.factories import PatientFactory
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db

MONDAY_9_05 = datetime.datetime(2027, 1, 18, 9, 5, tzinfo=datetime.UTC)


@pytest.fixture
def five_due(clinic, prescriber):
    """Five patients of the clinic, each with a plan in force and a reminder due on Monday 9:00."""
    patients = []
    for n in range(5):
        patient = PatientFactory(
            clinic=clinic,
            prescriber=prescriber,
            time_zone="Europe/London",
            reminder_weekday=0,
            reminder_time=datetime.time(9, 0),
            email=f"batch{n}@example.com",
        )
        signed_plan(patient, prescriber)
        patients.append(patient)
    return patients


def test_every_due_patient_gets_one_reminder_when_batches_are_smaller_than_the_queue(
    five_due, monkeypatch
):
    monkeypatch.setattr(tasks, "REMINDER_BATCH", 2)  # five reminders: three batches
    with time_machine.travel(MONDAY_9_05, tick=False):
        assert tasks.enqueue_due_reminders() == 5
        assert tasks.enqueue_due_reminders() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in five_due)
    assert set(Invitation.objects.values_list("status", flat=True)) == {Invitation.Status.SENT}


def test_a_failed_send_leaves_the_rest_of_its_batch_sent_and_the_retry_sends_only_it(
    five_due, monkeypatch
):
    unlucky = five_due[2].email
    real_send = services.send_reminder

    def flaky(patient, token):
        if patient.email == unlucky:
            raise smtplib.SMTPServerDisconnected("down")
        real_send(patient, token)

    with time_machine.travel(MONDAY_9_05, tick=False):
        ids = services.create_due_invitations()
        monkeypatch.setattr(services, "send_reminder", flaky)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            tasks.send_checkin_reminders(ids)
        assert len(mail.outbox) == 4 and unlucky not in {m.to[0] for m in mail.outbox}
        assert Invitation.objects.get(patient=five_due[2]).status == Invitation.Status.QUEUED
        monkeypatch.undo()
        tasks.send_checkin_reminders(ids)  # the retry: the same batch
    assert len(mail.outbox) == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in five_due)
    assert list(Invitation.objects.values_list("attempts", flat=True).order_by("pk")) == [
        2 if pk == Invitation.objects.get(patient=five_due[2]).pk else 1 for pk in sorted(ids)
    ]

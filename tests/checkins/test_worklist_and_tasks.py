"""The prescriber's dashboard worklist, and the beat tasks end to end (eager Celery)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from checkins import tasks
from checkins.models import Invitation
from tests.plan_helpers import draft_plan, signed_plan

pytestmark = pytest.mark.django_db


def test_the_dashboard_lists_drafts_to_sign_and_dose_changes_this_week(
    client, prescriber, patient, clinic
):
    from tests.factories import PatientFactory

    patient.first_name, patient.last_name = "Dora", "Change"
    patient.save()
    signed_plan(patient, prescriber)  # steps every 14 days from Mon 4 Jan 2027
    waiting = PatientFactory(clinic=clinic, first_name="Walt", last_name="Draft")
    draft_plan(waiting, prescriber)
    with time_machine.travel(datetime.datetime(2027, 1, 14, 9, tzinfo=datetime.UTC)):
        client.force_login(prescriber)
        page = client.get("/").content.decode()
    drafts = page[page.index('data-testid="drafts"') :]
    assert "Walt Draft" in drafts.split("</ul>")[0]
    changes = page[page.index('data-testid="dose-changes"') :].split("</ul>")[0]
    assert "Dora Change" in changes and "Mon 18 Jan" in changes


def test_the_beat_tasks_send_due_reminders_once_and_mark_missed(patient, prescriber):
    signed_plan(patient, prescriber)
    with time_machine.travel(datetime.datetime(2027, 1, 18, 9, 1, tzinfo=datetime.UTC)):
        assert tasks.enqueue_due_reminders() == 1
        assert tasks.enqueue_due_reminders() == 0  # sent: nothing queued any more
    assert len(mail.outbox) == 1
    with time_machine.travel(datetime.datetime(2027, 1, 20, 9, 1, tzinfo=datetime.UTC)):
        assert tasks.mark_missed_checkins() == 1
    assert Invitation.objects.get().status == Invitation.Status.MISSED

"""Reminders: due on the patient's wall clock across zones and DST, sent exactly once, no
patient data in them; missed check-ins after 48 hours."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection

from checkins import services
from checkins.models import Invitation
from checkins.sms import LocmemSmsBackend
from tests.factories import InvitationFactory, PatientFactory
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def patient_in(clinic, prescriber, zone: str, weekday: int = 0, hour: int = 9, **kw):
    patient = PatientFactory(
        clinic=clinic,
        prescriber=prescriber,
        time_zone=zone,
        reminder_weekday=weekday,
        reminder_time=datetime.time(hour, 0),
        **kw,
    )
    signed_plan(patient, prescriber)
    return patient


def due_now(moment: datetime.datetime) -> set[int]:
    with time_machine.travel(moment, tick=False):
        ids = services.create_due_invitations()
    return set(Invitation.objects.filter(pk__in=ids).values_list("patient_id", flat=True))


def test_due_on_each_patients_own_monday_9am(clinic, prescriber):
    london = patient_in(clinic, prescriber, "Europe/London")
    new_york = patient_in(clinic, prescriber, "America/New_York")
    auckland = patient_in(clinic, prescriber, "Pacific/Auckland")
    # Monday 18 Jan 2027 09:00 in Auckland (NZDT, +13) is Sunday 17 Jan 20:00 UTC.
    assert due_now(at(2027, 1, 17, 19, 59)) == set()
    assert due_now(at(2027, 1, 17, 20, 0)) == {auckland.pk}
    assert due_now(at(2027, 1, 18, 8, 59)) == {auckland.pk}
    assert due_now(at(2027, 1, 18, 9, 0)) == {auckland.pk, london.pk}
    assert due_now(at(2027, 1, 18, 14, 0)) == {auckland.pk, london.pk, new_york.pk}
    invitation = Invitation.objects.get(patient=auckland)
    assert invitation.week_start == datetime.date(2027, 1, 18)  # his Monday, not UTC's Sunday
    assert invitation.expires_at - invitation.due_at == datetime.timedelta(days=7)
    assert Invitation.objects.count() == 3  # idempotent: one per patient and week


def test_the_reminder_follows_the_wall_clock_over_a_dst_change(clinic, prescriber):
    new_york = patient_in(clinic, prescriber, "America/New_York")
    london = patient_in(clinic, prescriber, "Europe/London")

    # US clocks go forward on Sunday 14 Mar 2027: 09:00 EDT is 13:00 UTC (was 14:00 in EST).
    def invited(patient, week: datetime.date) -> bool:
        return Invitation.objects.filter(patient=patient, week_start=week).exists()

    due_now(at(2027, 3, 8, 13, 59))
    assert not invited(new_york, datetime.date(2027, 3, 8))
    due_now(at(2027, 3, 8, 14, 0))
    assert invited(new_york, datetime.date(2027, 3, 8))
    due_now(at(2027, 3, 15, 12, 59))
    assert not invited(new_york, datetime.date(2027, 3, 15))
    due_now(at(2027, 3, 15, 13, 0))
    assert invited(new_york, datetime.date(2027, 3, 15))
    # UK clocks go forward on Sunday 28 Mar 2027: 09:00 BST is 08:00 UTC.
    assert london.pk in due_now(at(2027, 3, 29, 8, 0))
    due = Invitation.objects.get(patient=london, week_start=datetime.date(2027, 3, 29)).due_at
    assert due == at(2027, 3, 29, 8, 0)


def test_a_slot_in_the_spring_gap_is_sent_an_hour_later(clinic, prescriber):
    patient = PatientFactory(
        clinic=clinic,
        time_zone="Europe/London",
        reminder_weekday=6,
        reminder_time=datetime.time(1, 30),
    )
    # 01:30 on Sunday 28 Mar 2027 does not exist in London: it is sent at 02:30 BST.
    due = services.due_at_for(patient, datetime.date(2027, 3, 22))
    assert due == at(2027, 3, 28, 1, 30)


def test_the_reminder_has_the_clinic_and_a_link_and_no_patient_data(clinic, prescriber):
    patient = patient_in(
        clinic, prescriber, "Europe/London", first_name="Harriet", last_name="Quimby"
    )
    with time_machine.travel(at(2027, 1, 18, 9, 5), tick=False):
        [invitation_id] = services.create_due_invitations()
        assert services.claim_and_send(invitation_id)
    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert message.to == [patient.email]
    assert "Riverside" in message.subject
    everything = " ".join([message.subject, message.body, html]).lower()
    for secret in ("harriet", "quimby", "1970", "17 may", "diazepam", patient.mrn.lower()):
        assert secret not in everything
    assert "/c/" in message.body and "/c/" in html
    assert Invitation.objects.get().status == Invitation.Status.SENT


def test_a_patient_without_e_mail_gets_a_text_without_patient_data(clinic, prescriber):
    patient_in(clinic, prescriber, "Europe/London", email="", phone="07700 900123")
    with time_machine.travel(at(2027, 1, 18, 9, 5), tick=False):
        call_command("send_due_reminders")
    [(to, text)] = LocmemSmsBackend.outbox
    assert to == "07700 900123" and "Riverside" in text and "/c/" in text
    assert not mail.outbox


def test_a_failed_send_goes_back_to_the_queue_and_is_retried(clinic, prescriber, monkeypatch):
    patient_in(clinic, prescriber, "Europe/London")

    def broken(*args, **kwargs):
        import smtplib

        raise smtplib.SMTPServerDisconnected("down")

    with time_machine.travel(at(2027, 1, 18, 9, 5), tick=False):
        [invitation_id] = services.create_due_invitations()
        monkeypatch.setattr(services, "send_reminder", broken)
        with pytest.raises(Exception, match="down"):
            services.claim_and_send(invitation_id)
        assert Invitation.objects.get().status == Invitation.Status.QUEUED
        monkeypatch.undo()
        assert services.claim_and_send(invitation_id)
    invitation = Invitation.objects.get()
    assert invitation.status == Invitation.Status.SENT and invitation.attempts == 2
    assert len(mail.outbox) == 1


def test_a_sent_check_in_unanswered_for_48_hours_is_missed(patient, prescriber):
    plan = signed_plan(patient, prescriber).plan
    invitation = InvitationFactory(patient=patient, plan=plan, due_at=at(2027, 1, 18, 9))
    assert services.mark_missed(at(2027, 1, 20, 8, 59)) == 0
    assert services.mark_missed(at(2027, 1, 20, 9, 0)) == 1
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.MISSED


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_send_exactly_once(catalogue, patient, prescriber):
    invitation = InvitationFactory(
        patient=patient,
        plan=signed_plan(patient, prescriber).plan,
        status="queued",
        token_hash=None,
        sent_at=None,
        due_at=at(2027, 1, 18, 9),
    )
    barrier = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(services.claim_and_send(invitation.pk, now=at(2027, 1, 18, 9, 1)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT and invitation.attempts == 1


def test_a_patient_on_hold_still_checks_in_and_one_without_a_plan_in_force_does_not(
    clinic, prescriber, nurse
):
    from schedules.services import plans as plan_services
    from tests.plan_helpers import draft_plan

    held = patient_in(clinic, prescriber, "Europe/London")
    plan = held.plans.get()
    with time_machine.travel(at(2027, 1, 20, 12), tick=False):
        plan_services.plan_hold(plan=plan, user=nurse, days=14, reason="Poor sleep")
    unsigned = PatientFactory(
        clinic=clinic, prescriber=prescriber, reminder_weekday=0, reminder_time=datetime.time(9)
    )
    draft_plan(unsigned, prescriber)
    nothing = PatientFactory(
        clinic=clinic, prescriber=prescriber, reminder_weekday=0, reminder_time=datetime.time(9)
    )
    due = due_now(at(2027, 1, 25, 9, 30))
    assert held.pk in due
    assert unsigned.pk not in due and nothing.pk not in due


def test_a_stored_clinic_name_with_a_line_break_still_sends_a_one_line_subject(clinic, prescriber):
    # A row saved before the name was validated (update() skips validation).
    type(clinic).objects.filter(pk=clinic.pk).update(name="Riverside\r\nBcc: x@example.org")
    clinic.refresh_from_db()
    patient = patient_in(clinic, prescriber, "Europe/London")
    services.send_reminder(patient, "a-token")
    [message] = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert "Riverside Bcc: x@example.org" in message.subject
    assert message.recipients() == [patient.email]

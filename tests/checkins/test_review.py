"""Check-ins reach the nurse: the red-flag path end to end, the queue's order and cost, the
phone check-in API (partial vs complete), and reviews that hold, slow or escalate."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkins.models import CheckIn, Invitation, Review
from schedules.models import PlanRevision
from tests.checkins.helpers import IN_STEP_2, NO_FLAGS, answers, form_data, sent_invitation
from tests.factories import CheckInFactory, InvitationFactory, PatientFactory
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db

TOKEN = "tok-" + "r" * 43


@pytest.fixture
def team(nurse, prescriber):
    nurse.email, prescriber.email = "nurse@riverside.example", "dr@riverside.example"
    nurse.save()
    prescriber.save()
    return nurse, prescriber


@pytest.fixture
def plan(patient, prescriber):
    return signed_plan(patient, prescriber).plan


def test_a_red_flag_shows_what_to_do_alerts_the_team_and_reaches_the_dashboard(
    client, team, patient, plan, django_capture_on_commit_callbacks
):
    nurse, prescriber = team
    patient.first_name, patient.last_name = "Harriet", "Quimby"
    patient.save()
    sent_invitation(patient, plan, TOKEN)
    with time_machine.travel(IN_STEP_2, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/c/{TOKEN}/", form_data(1, flags={"seizure": True}))
        page = response.content.decode()
        assert "What to do now" in page
        assert ">999<" in page and patient.clinic.phone in page

        # The alert: to the nurse and the prescriber, "a check-in needs attention" and a link.
        [alert] = mail.outbox
        assert sorted(alert.to) == sorted([nurse.email, prescriber.email])
        checkin = CheckIn.objects.get()
        text = f"{alert.subject} {alert.body}".lower()
        assert "a check-in needs attention" in text
        assert f"/checkins/{checkin.pk}/" in text
        for secret in ("harriet", "quimby", "1970", "diazepam", "seizure", patient.mrn.lower()):
            assert secret not in text
        assert checkin.urgent and checkin.suggested_action == "escalate"

        client.force_login(prescriber)
        dashboard = client.get("/").content.decode()
        assert "Red-flag alerts" in dashboard and "Harriet Quimby" in dashboard
        queue = client.get("/api/v1/checkins/queue/").json()["results"]
        assert queue[0]["id"] == checkin.pk and queue[0]["urgent"] is True


def test_a_us_clinic_shows_911(client, other_patient, other_prescriber):
    plan = signed_plan(other_patient, other_prescriber).plan
    sent_invitation(other_patient, plan, TOKEN)
    with time_machine.travel(IN_STEP_2, tick=False):
        page = client.post(f"/c/{TOKEN}/", form_data(0, flags={"suicidal_thoughts": True}))
    assert ">911<" in page.content.decode()


def post_checkin(client, patient, body):
    return client.post(
        f"/api/v1/patients/{patient.pk}/checkins/", body, content_type="application/json"
    )


def test_phone_check_in_partial_and_complete_scores(nurse_client, patient, plan):
    self_only = post_checkin(
        nurse_client,
        patient,
        {"instrument": "ciwa-b", "answers": answers(2), "red_flags": NO_FLAGS},
    )
    assert self_only.status_code == 201
    body = self_only.json()
    assert (body["total"], body["max"], body["band"], body["partial"], body["urgent"]) == (
        34,
        68,
        None,
        True,
        False,
    )
    complete = post_checkin(
        nurse_client,
        patient,
        {
            "instrument": "ciwa-b",
            "answers": answers(2),
            "observed": {"18": 1, "19": 1, "20": 1},
            "red_flags": NO_FLAGS,
        },
    )
    body = complete.json()
    assert (body["total"], body["max"], body["band"], body["partial"]) == (
        37,
        80,
        "moderate",
        False,
    )
    severe = post_checkin(
        nurse_client,
        patient,
        {
            "instrument": "ciwa-b",
            "answers": answers(3),
            "observed": {"18": 0, "19": 0, "20": 0},
            "red_flags": NO_FLAGS,
        },
    ).json()
    assert (severe["total"], severe["band"], severe["urgent"]) == (51, "severe", True)
    saved = CheckIn.objects.get(pk=complete.json()["id"])
    assert saved.source == "phone" and saved.entered_by.username == "nurse-evans"


def test_phone_check_in_bad_input_is_400_and_saves_nothing(nurse_client, patient, plan):
    response = post_checkin(
        nurse_client,
        patient,
        {
            "instrument": "ciwa-b",
            "answers": {**answers(2), "3": 9},
            "red_flags": {"seizure": False},
        },
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "answers.3" in errors and "red_flags.confusion" in errors
    assert not CheckIn.objects.exists()


def test_phone_check_in_for_another_clinics_patient_is_404(nurse_client, other_patient):
    response = post_checkin(
        nurse_client, other_patient, {"answers": answers(1), "red_flags": NO_FLAGS}
    )
    assert response.status_code == 404


def make_queue(patient, plan, size: int):
    """An urgent check-in, a missed one, a moderate one and mild ones (oldest first)."""
    base = datetime.datetime(2027, 1, 10, 9, tzinfo=datetime.UTC)
    mild = [
        CheckInFactory(
            patient=patient,
            total=5 + i,
            severity=1,
            created_at=base + datetime.timedelta(hours=size - i),
        )
        for i in range(size)
    ]
    moderate = CheckInFactory(
        patient=patient, total=30, severity=2, created_at=base + datetime.timedelta(days=3)
    )
    urgent = CheckInFactory(
        patient=patient,
        total=3,
        urgent=True,
        severity=0,
        created_at=base + datetime.timedelta(days=4),
    )
    missed = InvitationFactory(
        patient=patient, plan=plan, status="missed", week_start=datetime.date(2027, 1, 4)
    )
    CheckInFactory(patient=patient, reviewed_at=base)  # reviewed: not in the queue
    return urgent, missed, moderate, sorted(mild, key=lambda c: c.created_at)


def test_the_queue_is_urgent_then_missed_then_by_band_then_oldest(nurse_client, patient, plan):
    urgent, missed, moderate, mild = make_queue(patient, plan, 3)
    rows = nurse_client.get("/api/v1/checkins/queue/").json()["results"]
    assert [(r["kind"], r["id"]) for r in rows] == [
        ("checkin", urgent.pk),
        ("missed", missed.pk),
        ("checkin", moderate.pk),
        *[("checkin", c.pk) for c in mild],
    ]
    assert rows[0]["patient"] == patient.pk and rows[0]["total"] == 3
    assert set(rows[2]) >= {"id", "patient", "kind", "urgent", "total", "band", "suggestion"}
    page = nurse_client.get("/checkins/").content.decode()
    assert (
        page.index(f"/checkins/{urgent.pk}/")
        < page.index("Missed")
        < page.index(f"/checkins/{moderate.pk}/")
    )


@pytest.mark.parametrize("url", ["/api/v1/checkins/queue/", "/checkins/"])
def test_the_queue_costs_the_same_queries_for_3_or_30_rows(nurse_client, patient, plan, url):
    make_queue(patient, plan, 3)
    nurse_client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert nurse_client.get(url).status_code == 200
    make_queue(PatientFactory(clinic=patient.clinic), plan, 30)
    with CaptureQueriesContext(connection) as large:
        assert nurse_client.get(url).status_code == 200
    assert len(large) == len(small)


def test_the_queue_pages(nurse_client, patient, plan, django_assert_max_num_queries):
    make_queue(patient, plan, 60)
    nurse_client.get("/api/v1/checkins/queue/")  # the session's first request writes it
    # Session, user, clinic, the two-factor device check, then at most 5 for the page.
    with django_assert_max_num_queries(9):
        first = nurse_client.get("/api/v1/checkins/queue/").json()
    assert first["count"] == 63 and len(first["results"]) == 50
    second = nurse_client.get("/api/v1/checkins/queue/?page=2").json()
    assert len(second["results"]) == 13


def review(client, target, **body):
    return client.post(
        f"/api/v1/checkins/{target.pk}/review/", body, content_type="application/json"
    )


def test_a_hold_makes_a_new_revision_and_leaves_the_queue(client, nurse, patient, plan):
    with time_machine.travel(IN_STEP_2, tick=False):
        client.force_login(nurse)
        checkin = CheckInFactory(patient=patient)
        response = review(client, checkin, action="hold", note="Worse since the cut.", days=7)
        assert response.status_code == 201
        revision = PlanRevision.objects.get(pk=response.json()["resulting_revision"])
        assert revision.kind == "hold" and revision.reason == "Worse since the cut."
        assert PlanRevision.objects.filter(plan=plan).in_force().first() == revision
        assert client.get("/api/v1/checkins/queue/").json()["count"] == 0
        again = review(client, checkin, action="continue", note="Again")
        assert again.status_code == 400
        assert Review.history.count() == 1


def test_every_review_needs_a_note(nurse_client, patient, plan):
    checkin = CheckInFactory(patient=patient)
    response = review(nurse_client, checkin, action="continue", note=" ")
    assert response.status_code == 400 and "note" in response.json()["errors"]
    assert not Review.objects.exists()


def test_a_review_note_over_the_limit_is_refused_and_saves_nothing(nurse_client, patient, plan):
    from schedules.services.plans import MAX_REASON_LENGTH

    checkin = CheckInFactory(patient=patient)
    for note in ("x" * (MAX_REASON_LENGTH + 1), "x" * 200_000):
        response = review(nurse_client, checkin, action="continue", note=note)
        assert response.status_code == 400 and "note" in response.json()["errors"]
    assert not Review.objects.exists()
    assert (
        review(nurse_client, checkin, action="continue", note="x" * MAX_REASON_LENGTH).status_code
        == 201
    )


def test_slow_puts_a_request_on_the_prescribers_worklist(
    client, team, patient, plan, django_capture_on_commit_callbacks
):
    nurse, prescriber = team
    checkin = CheckInFactory(patient=patient)
    client.force_login(nurse)
    with django_capture_on_commit_callbacks(execute=True):
        response = review(client, checkin, action="slow", note="Two rises in a row.")
    assert response.status_code == 201
    [message] = mail.outbox
    assert message.to == [prescriber.email] and patient.last_name not in message.body
    client.force_login(prescriber)
    dashboard = client.get("/").content.decode()
    assert "Slow-down requests" in dashboard and "Two rises in a row." in dashboard


def test_a_missed_check_in_is_reviewed_by_its_invitation(nurse_client, patient, plan):
    missed = InvitationFactory(patient=patient, plan=plan, status="missed")
    response = review(nurse_client, missed, kind="missed", action="continue", note="Called.")
    assert response.status_code == 201
    assert Invitation.objects.get().reviewed_at is not None
    assert nurse_client.get("/api/v1/checkins/queue/").json()["count"] == 0


def test_the_queue_form_escalates_with_one_click(
    client, team, patient, plan, django_capture_on_commit_callbacks
):
    nurse, _prescriber = team
    checkin = CheckInFactory(patient=patient, urgent=True, suggested_action="escalate")
    client.force_login(nurse)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/checkins/review/",
            {"kind": "checkin", "target": checkin.pk, "action": "escalate", "note": "Seizure."},
        )
    assert response.status_code == 302
    review_row = Review.objects.get()
    assert review_row.action == "escalate" and review_row.needs_prescriber
    assert len(mail.outbox) == 1


def test_the_detail_page_shows_answers_and_the_trend(nurse_client, patient, plan):
    CheckInFactory(
        patient=patient, total=10, created_at=datetime.datetime(2027, 1, 11, tzinfo=datetime.UTC)
    )
    checkin = CheckInFactory(patient=patient, total=17)
    page = nurse_client.get(f"/checkins/{checkin.pk}/").content.decode()
    assert "<svg" in page and 'data-testid="trend-chart"' in page
    assert page.count("<circle") == 2
    assert "17/68" in page

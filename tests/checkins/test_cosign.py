"""Clinic policy: a nurse's hold waits for a prescriber's signature (``hold_needs_cosign``)."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from checkins.models import CheckIn, Review
from schedules.models import PlanRevision
from schedules.services import plans as plan_services
from tests.checkins.helpers import IN_STEP_2
from tests.factories import CheckInFactory
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def first(patient, prescriber):
    patient.first_name, patient.last_name = "Hilda", "Hold"
    patient.save()
    return signed_plan(patient, prescriber)


def cosigning(clinic, on: bool = True):
    clinic.hold_needs_cosign = on
    clinic.save()


def hold_from_queue(client, checkin, note="Worse since the cut."):
    return client.post(
        "/checkins/review/",
        {"kind": "checkin", "target": checkin.pk, "action": "hold", "note": note, "days": "7"},
        follow=True,
    )


def in_force(plan):
    return PlanRevision.objects.filter(plan=plan).in_force().first()


def drafts_section(page: str) -> str:
    return page[page.index('data-testid="drafts"') :].split("</ul>")[0]


def test_without_the_policy_a_nurses_hold_is_signed_at_once(client, nurse, patient, first):
    with time_machine.travel(IN_STEP_2, tick=False):
        client.force_login(nurse)
        page = hold_from_queue(client, CheckInFactory(patient=patient)).content.decode()
    held = Review.objects.get().resulting_revision
    assert held.is_signed and in_force(first.plan) == held
    assert "Reviewed: hold." in page


def test_with_the_policy_a_nurses_hold_is_a_draft_the_prescriber_signs(
    client, nurse, prescriber, clinic, patient, first
):
    cosigning(clinic)
    with time_machine.travel(IN_STEP_2, tick=False):
        client.force_login(nurse)
        page = hold_from_queue(client, CheckInFactory(patient=patient)).content.decode()
        assert "Hold saved as a draft for a prescriber to sign." in page
        assert "Nothing to review." in client.get("/checkins/").content.decode()

        held = Review.objects.get().resulting_revision
        assert held.status == PlanRevision.Status.DRAFT and held.kind == "hold"
        assert held.reason == "Worse since the cut."
        assert in_force(first.plan) == first  # nothing changed for the patient yet

        client.force_login(prescriber)
        drafts = drafts_section(client.get("/").content.decode())
        assert "Hilda Hold" in drafts and "revision 2 · Hold the current step" in drafts

        plan_services.revision_sign(revision=held, user=prescriber, confirm=True)
    assert in_force(first.plan) == held


def test_with_the_policy_a_second_hold_is_refused_while_a_draft_is_open(
    client, nurse, clinic, patient, first
):
    cosigning(clinic)
    with time_machine.travel(IN_STEP_2, tick=False):
        client.force_login(nurse)
        hold_from_queue(client, CheckInFactory(patient=patient))
        second = CheckInFactory(patient=patient)
        page = hold_from_queue(client, second, note="Still worse.").content.decode()
        queue = client.get("/checkins/").content.decode()
    assert "already an open draft" in page
    assert f"/checkins/{second.pk}/" in queue  # still to review
    assert CheckIn.objects.get(pk=second.pk).reviewed_at is None
    assert PlanRevision.objects.filter(plan=first.plan).drafts().count() == 1


def test_with_the_policy_a_hold_from_the_plan_page_is_a_draft(client, nurse, clinic, first):
    cosigning(clinic)
    with time_machine.travel(IN_STEP_2, tick=False):
        client.force_login(nurse)
        response = client.post(
            f"/plans/{first.plan_id}/hold/", {"days": "5", "reason": "Asked by the patient"}
        )
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
    assert "saved as a draft for a prescriber to sign" in page
    draft = PlanRevision.objects.filter(plan=first.plan).drafts().get()
    assert draft.kind == "hold" and in_force(first.plan) == first


def test_with_the_policy_a_prescribers_own_hold_is_signed_at_once(
    client, prescriber, clinic, first
):
    cosigning(clinic)
    with time_machine.travel(IN_STEP_2, tick=False):
        client.force_login(prescriber)
        client.post(f"/plans/{first.plan_id}/hold/", {"days": "5", "reason": "Agreed today"})
    assert in_force(first.plan).kind == "hold"


def test_plan_hold_with_cosign_refuses_beside_an_open_draft(nurse, first):
    with time_machine.travel(IN_STEP_2, tick=False):
        draft = plan_services.plan_hold(
            plan=first.plan, user=nurse, days=7, reason="Anxious", cosign=True
        )
        with pytest.raises(plan_services.PlanConflict) as refused:
            plan_services.plan_hold(
                plan=first.plan, user=nurse, days=3, reason="Again", cosign=True
            )
    assert refused.value.revision == draft
    assert PlanRevision.objects.filter(plan=first.plan).drafts().get() == draft


def test_a_clinic_admin_turns_the_policy_on_in_the_admin(client, clinic_admin, clinic):
    clinic_admin.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_clinic", "change_clinic"])
    )
    client.force_login(clinic_admin)
    url = reverse("admin:accounts_clinic_change", args=[clinic.pk])
    assert "hold_needs_cosign" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": clinic.name,
            "country": clinic.country,
            "time_zone": clinic.time_zone,
            "phone": clinic.phone,
            "hold_needs_cosign": "on",
        },
    )
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.hold_needs_cosign is True


def test_with_the_policy_a_nurses_hold_through_the_api_is_a_draft(client, nurse, clinic, first):
    cosigning(clinic)
    with time_machine.travel(IN_STEP_2, tick=False):
        client.force_login(nurse)
        response = client.post(
            f"/api/v1/plans/{first.plan_id}/hold/",
            {"days": 7, "reason": "Symptoms up"},
            content_type="application/json",
        )
        assert response.status_code == 201
        again = client.post(
            f"/api/v1/plans/{first.plan_id}/hold/",
            {"days": 3, "reason": "Still up"},
            content_type="application/json",
        )
    assert again.status_code == 409
    assert PlanRevision.objects.filter(plan=first.plan).drafts().get().kind == "hold"
    assert in_force(first.plan) == first

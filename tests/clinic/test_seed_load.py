"""``seed_load``: a small network (200 patients, 8 weeks) keeps every constraint and the pages
render for its staff."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.test import override_settings
from django.urls import reverse

from accounts.models import Clinic, User
from checkins.models import CheckIn, Invitation, Review
from medications.models import MedicationRecord
from patients.models import Patient
from schedules.models import PlanRevision, PlanStep, StepDose, TaperPlan

pytestmark = pytest.mark.django_db

PATIENTS, WEEKS = 200, 8


def test_seed_load_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_load", patients=PATIENTS, weeks=WEEKS, verbosity=0)
    assert not Patient.objects.exists()


@override_settings(DEBUG=True)
def test_seed_load_writes_a_consistent_network_whose_pages_render(client):
    out = io.StringIO()
    call_command("seed_load", patients=PATIENTS, weeks=WEEKS, stdout=out)
    printed = out.getvalue()
    assert "seed_load wrote" in printed and " s (" in printed and "check-ins" in printed

    # Counts: the sizes asked for, and history for about every week of every signed plan.
    assert Clinic.objects.count() == 5
    assert User.objects.filter(role=User.Role.NURSE).count() == 20
    assert Patient.objects.count() == PATIENTS
    assert MedicationRecord.objects.count() == PATIENTS
    assert TaperPlan.objects.count() == PATIENTS
    active = TaperPlan.objects.filter(status=TaperPlan.Status.ACTIVE).count()
    assert active >= PATIENTS * 0.9
    assert PlanRevision.objects.filter(kind=PlanRevision.Kind.HOLD, status="signed").exists()
    assert PlanStep.objects.count() > PATIENTS * 10 and StepDose.objects.exists()
    checkins = CheckIn.objects.count()
    assert active * (WEEKS - 3) * 0.8 < checkins <= active * (WEEKS + 1)
    assert Invitation.objects.count() >= checkins
    assert Review.objects.count() > checkins * 0.8
    assert CheckIn.objects.filter(urgent=True).exists() or checkins < 2000
    assert CheckIn.objects.filter(reviewed_at__isnull=True).exists()
    assert Invitation.objects.filter(status=Invitation.Status.MISSED).exists()

    # Constraints the database does not check by itself, and those it does, read back.
    per_patient = Patient.objects.annotate(
        active=Count("plans", filter=Q(plans__status="active")),
        drafts=Count("plans", filter=Q(plans__status="draft")),
    )
    assert not per_patient.filter(Q(active__gt=1) | Q(drafts__gt=1)).exists()
    assert not per_patient.filter(active=0, drafts=0).exists()
    signed = PlanRevision.objects.signed()
    assert (
        signed.filter(previous__isnull=False).values("previous").distinct().count()
        == signed.filter(previous__isnull=False).count()
    )
    assert (
        not signed.filter(previous__isnull=True)
        .values("plan")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not signed.filter(signed_by__isnull=True).exists()
    assert not CheckIn.objects.exclude(revision__plan__patient=F("patient")).exists()
    assert (
        not Invitation.objects.values("patient", "week_start")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    answered = Invitation.objects.filter(status=Invitation.Status.ANSWERED)
    assert answered.count() == CheckIn.objects.filter(invitation__isnull=False).count()

    # Running it again on the same database is refused.
    with pytest.raises(CommandError, match="already"):
        call_command("seed_load", patients=PATIENTS, weeks=WEEKS, verbosity=0)

    # The seeded staff's pages render.
    nurse = User.objects.get(username="load1-nurse1")
    prescriber = User.objects.get(username="load1-prescriber1")
    patient = Patient.objects.filter(clinic=nurse.clinic, plans__status="active").first()
    plan = TaperPlan.objects.get(patient=patient, status="active")
    for user in (nurse, prescriber):
        client.force_login(user)
        for url in (
            reverse("checkins:queue"),
            reverse("patients:list") + "?q=a",
            reverse("patients:detail", args=[patient.pk]),
            reverse("schedules:plan", args=[plan.pk]),
            "/api/v1/checkins/queue/",
            "/api/v1/patients/?q=a",
        ):
            response = client.get(url)
            assert response.status_code == 200, url

"""Every look at a patient, plan or check-in is recorded with who and when, ids only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AccessRecord
from tests.factories import ClinicAdminFactory, PatientFactory, PrescriberFactory
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db


def test_viewing_a_patient_and_their_plan_is_recorded(client, patient, prescriber):
    revision = signed_plan(patient, prescriber)
    client.force_login(prescriber)
    client.get(reverse("patients:detail", args=[patient.pk]))
    client.get(reverse("schedules:plan", args=[revision.plan_id]))
    client.get(f"/api/v1/plans/{revision.plan_id}/fhir/")
    rows = list(AccessRecord.objects.order_by("pk"))
    assert [(r.object_kind, r.object_id, r.status) for r in rows] == [
        ("patient", patient.pk, 200),
        ("plan", revision.plan_id, 200),
        ("plan", revision.plan_id, 200),
    ]
    assert {r.user for r in rows} == {prescriber}
    assert rows[0].clinic_id == prescriber.clinic_id
    assert rows[2].route == "api-plan-fhir"


def test_a_refused_look_at_another_clinics_patient_is_recorded_too(
    client, prescriber, other_clinic
):
    stranger = PatientFactory(clinic=other_clinic, last_name="Zebedee")
    client.force_login(prescriber)
    assert client.get(reverse("patients:detail", args=[stranger.pk])).status_code == 404
    row = AccessRecord.objects.get()
    assert (row.object_kind, row.object_id, row.status) == ("patient", stranger.pk, 404)


def test_rows_hold_ids_only_and_lists_and_anonymous_requests_add_none(client, patient, prescriber):
    client.get(reverse("patients:detail", args=[patient.pk]))  # anonymous: redirected
    client.force_login(prescriber)
    client.get(reverse("patients:list") + "?q=" + patient.last_name)
    assert not AccessRecord.objects.exists()
    client.get(reverse("patients:detail", args=[patient.pk]) + "?q=" + patient.last_name)
    row = AccessRecord.objects.get()
    stored = f"{row.route} {row.ids} {row.object_kind}"
    assert patient.last_name not in stored and "?" not in stored


def test_clinic_admins_read_their_clinics_audit_in_the_admin(client, clinic, other_clinic, patient):
    elsewhere = PrescriberFactory(clinic=other_clinic)
    AccessRecord.objects.create(
        user=elsewhere, clinic_id=other_clinic.pk, method="GET", route="x", status=200
    )
    mine = AccessRecord.objects.create(
        user=None, clinic_id=clinic.pk, method="GET", route="patients:detail", status=200
    )
    admin_user = ClinicAdminFactory(clinic=clinic, is_staff=True)
    client.force_login(admin_user)
    page = client.get("/admin/audit/accessrecord/")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [mine]
    assert client.post(f"/admin/audit/accessrecord/{mine.pk}/delete/").status_code == 403

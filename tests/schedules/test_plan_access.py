"""The plan page, its documents and its API and export routes give one answer per role: a nurse
or a prescriber may see a plan, a clinic admin may not (403 everywhere, as the page)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.base import ContentFile

from schedules import tasks
from schedules.models import PlanDocument
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db

ROLES = ("prescriber", "nurse", "clinic_admin")
MAY_SEE_PLANS = {"prescriber": True, "nurse": True, "clinic_admin": False}


@pytest.fixture
def plan_routes(patient, prescriber):
    with mock.patch.object(tasks.render_plan_document, "delay"):
        revision = signed_plan(patient, prescriber)
    document = PlanDocument(revision=revision, status=PlanDocument.Status.READY)
    document.file.save("access-test.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    plan_id = revision.plan_id
    return {
        "page": f"/plans/{plan_id}/",
        "dispensing page": f"/plans/{plan_id}/dispensing/",
        "document status": f"/documents/plans/{plan_id}/status/",
        "document download": f"/documents/{document.pk}/download/",
        "api plan": f"/api/v1/plans/{plan_id}/",
        "api fhir": f"/api/v1/plans/{plan_id}/fhir/",
        "api calendar": f"/api/v1/plans/{plan_id}/calendar.ics",
        "api document": f"/api/v1/plans/{plan_id}/document/",
        "api dispensing": f"/api/v1/plans/{plan_id}/dispensing/",
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_plan_route_answers_as_the_plan_page_does(
    client, request, role, plan_routes, clinic_admin
):
    client.force_login(request.getfixturevalue(role))
    statuses = {name: client.get(url).status_code for name, url in plan_routes.items()}
    expected_page = 200 if MAY_SEE_PLANS[role] else 403
    assert statuses["page"] == expected_page
    if MAY_SEE_PLANS[role]:
        assert all(status == 200 for status in statuses.values()), statuses
    else:
        assert all(status == 403 for status in statuses.values()), statuses


def test_a_clinic_admin_cannot_hold_a_plan_through_the_api(client, clinic_admin, plan_routes):
    client.force_login(clinic_admin)
    response = client.post(
        plan_routes["api plan"] + "hold/",
        {"days": 7, "reason": "Symptoms up"},
        content_type="application/json",
    )
    assert response.status_code == 403

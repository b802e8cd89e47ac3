"""Who prescribed what: a hold recorded by a nurse is not a prescription.

The FHIR export's ``requester``, the printable schedule's prescriber line and the plan page all
name the prescriber who signed the prescribing revision (the nearest one in the ``previous``
chain signed by a prescriber); the nurse who recorded a hold is the ``recorder``.
"""

from __future__ import annotations

import datetime

import pytest

from schedules import selectors
from schedules.documents import pdf
from schedules.documents import render as document_render
from schedules.services import plans as plan_services
from tests.factories import PrescriberFactory
from tests.plan_helpers import TODAY, signed_plan

pytestmark = pytest.mark.django_db


def _hold(revision, user, today=TODAY):
    held = plan_services.plan_hold(
        plan=revision.plan, user=user, days=7, reason="Patient asked to pause", today=today
    )
    assert held.is_signed and held.signed_by == user
    return held


@pytest.fixture
def revision(patient, prescriber):
    return signed_plan(patient, prescriber)


def test_a_prescriber_signed_revision_is_its_own_prescription(revision, prescriber):
    who = selectors.prescriber_for(revision)
    assert (who.prescribing, who.prescriber, who.recorded_by) == (revision, prescriber, None)
    assert selectors.prescribing_revision(revision) == revision


def test_nurse_holds_point_back_to_the_prescriber_who_signed(revision, prescriber, nurse):
    first_hold = _hold(revision, nurse)
    second_hold = _hold(first_hold, nurse, today=TODAY + datetime.timedelta(days=3))
    who = selectors.prescriber_for(second_hold)
    assert who.prescribing == revision
    assert who.prescriber == prescriber
    assert who.recorded_by == nurse


def test_the_signer_wins_over_the_patients_assigned_prescriber(revision, patient, nurse):
    """The patient's prescriber changed after the plan was signed: the prescription is still
    the signer's."""
    patient.prescriber = PrescriberFactory(clinic=patient.clinic, username="dr-new")
    patient.save()
    who = selectors.prescriber_for(_hold(revision, nurse))
    assert who.prescriber == revision.signed_by


def test_a_hold_by_a_prescriber_is_that_prescribers(revision, clinic, nurse):
    colleague = PrescriberFactory(clinic=clinic, username="dr-colleague")
    held = _hold(revision, colleague)
    after = _hold(held, nurse, today=TODAY + datetime.timedelta(days=2))
    assert selectors.prescriber_for(held).prescriber == colleague
    assert selectors.prescriber_for(after).prescriber == colleague


def test_fhir_requester_is_the_prescriber_and_the_nurse_the_recorder(
    client, revision, prescriber, nurse
):
    _hold(revision, nurse)
    client.force_login(nurse)
    bundle = client.get(f"/api/v1/plans/{revision.plan_id}/fhir/").json()
    requests = [entry["resource"] for entry in bundle["entry"]]
    assert requests
    for request in requests:
        assert request["requester"] == {"reference": f"Practitioner/{prescriber.pk}"}
        assert request["recorder"] == {"reference": f"Practitioner/{nurse.pk}"}


def test_fhir_has_no_recorder_when_the_prescriber_signed(prescriber_client, revision, prescriber):
    bundle = prescriber_client.get(f"/api/v1/plans/{revision.plan_id}/fhir/").json()
    for entry in bundle["entry"]:
        assert entry["resource"]["requester"] == {"reference": f"Practitioner/{prescriber.pk}"}
        assert "recorder" not in entry["resource"]


def test_pdf_and_plan_page_name_the_prescriber_and_the_nurse_who_recorded_the_hold(
    client, revision, prescriber, nurse
):
    held = _hold(revision, nurse)
    data = document_render.schedule_data(held)
    assert data.prescriber_name == prescriber.display_name()
    assert data.hold_recorded_by == nurse.display_name()
    page = pdf.render_html(data)
    assert f"hold recorded by {nurse.display_name()}" in page
    client.force_login(nurse)
    plan_page = client.get(f"/plans/{revision.plan_id}/").content.decode()
    assert (
        f"prescribed by {prescriber.display_name()}; hold recorded by {nurse.display_name()}"
        in plan_page
    )

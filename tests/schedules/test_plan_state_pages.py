"""Plan state as the pages and the API show it: the schedule in force first, one draft below
it, conflicts that say what they conflict with, and nothing changed by a refusal."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from schedules.models import PlanDocument, PlanRevision, TaperPlan
from schedules.services import plans as plan_services
from tests.plan_helpers import preview_body, signed_plan
from tests.schedules.test_views import builder_data

pytestmark = pytest.mark.django_db

IN_STEP_2 = datetime.datetime(2027, 1, 20, 9, tzinfo=datetime.UTC)


def html(response) -> str:
    return response.content.decode()


# --- the API -------------------------------------------------------------------------------------


def test_api_refuses_a_second_plan_in_force_with_409_naming_it(prescriber_client, patient):
    first = prescriber_client.post(
        f"/api/v1/patients/{patient.pk}/plans/", preview_body(), content_type="application/json"
    ).json()
    sign = prescriber_client.post(
        f"/api/v1/plans/{first['id']}/sign/", {"confirm": True}, content_type="application/json"
    )
    assert sign.status_code == 200
    response = prescriber_client.post(
        f"/api/v1/patients/{patient.pk}/plans/",
        preview_body(start_date="2027-03-01"),
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["plan"] == first["id"]
    assert f"Plan #{first['id']}" in body["errors"]["plan"][0]
    assert TaperPlan.objects.filter(patient=patient).count() == 1

    replaced = prescriber_client.post(
        f"/api/v1/patients/{patient.pk}/plans/",
        {**preview_body(start_date="2027-03-01"), "supersede": True},
        content_type="application/json",
    )
    assert replaced.status_code == 201
    new = replaced.json()
    assert new["supersedes"] == first["id"] and new["in_force"] is None and new["draft"]


def test_api_refuses_to_sign_a_draft_made_before_a_hold(
    prescriber_client, patient, prescriber, nurse
):
    v1 = signed_plan(patient, prescriber)
    with time_machine.travel(IN_STEP_2, tick=False):
        plan_services.plan_slow(plan=v1.plan, user=prescriber, data={}, reason="Slower")
        plan_services.plan_hold(plan=v1.plan, user=nurse, days=7, reason="Anxious")
        documents = PlanDocument.objects.count()
        prescriber_client.force_login(prescriber)  # a session from before the jump has expired
        response = prescriber_client.post(
            f"/api/v1/plans/{v1.plan_id}/sign/", {"confirm": True}, content_type="application/json"
        )
        state = prescriber_client.get(f"/api/v1/plans/{v1.plan_id}/").json()
    assert response.status_code == 409
    assert "rebuild the draft from the plan in force" in response.json()["errors"]["revision"][0]
    assert PlanDocument.objects.count() == documents
    assert state["in_force"]["kind"] == "hold" and state["draft"]["kind"] == "slow"
    assert state["draft_is_stale"] is True


# --- the plan page -------------------------------------------------------------------------------


def test_the_schedule_in_force_comes_before_the_draft_and_a_nurse_gets_no_draft_controls(
    client, patient, prescriber, nurse
):
    signed = signed_plan(patient, prescriber)
    with time_machine.travel(IN_STEP_2, tick=False):
        plan_services.plan_slow(plan=signed.plan, user=prescriber, data={}, reason="Slower")
        client.force_login(nurse)
        page = html(client.get(f"/plans/{signed.plan_id}/"))
    assert page.index('data-testid="schedule"') < page.index('data-testid="draft"')
    assert "Draft, not in force" in page
    assert "Sign revision" not in page and "Discard this draft" not in page
    assert "Edit in builder" not in page and "Waiting for a prescriber" in page
    # "Today" belongs to the schedule in force, not to the draft.
    assert page.count(" is-today") == 1
    assert page.index(" is-today") < page.index('data-testid="draft"')


def test_a_stale_draft_says_so_and_offers_no_signing(prescriber_client, patient, prescriber, nurse):
    signed = signed_plan(patient, prescriber)
    with time_machine.travel(IN_STEP_2, tick=False):
        plan_services.plan_slow(plan=signed.plan, user=prescriber, data={}, reason="Slower")
        plan_services.plan_hold(plan=signed.plan, user=nurse, days=7, reason="Anxious")
        prescriber_client.force_login(prescriber)
        page = html(prescriber_client.get(f"/plans/{signed.plan_id}/"))
    assert 'data-testid="stale-draft"' in page
    assert "Sign revision" not in page and "Discard this draft" in page


def test_a_refused_sign_shows_its_messages_at_the_top(prescriber_client, patient, prescriber):
    revision = plan_services.plan_create(
        patient=patient, user=prescriber, data=preview_body(reduction_percent="40")
    )
    response = prescriber_client.post(f"/plans/{revision.plan_id}/sign/", {"confirm": "on"})
    page = html(response)
    assert response.status_code == 400
    summary = page.index('data-testid="form-errors"')
    assert summary < page.index('data-testid="draft"')
    assert "Nothing was changed" in page


def test_a_second_draft_from_the_page_offers_to_open_or_replace_the_first(
    prescriber_client, patient, prescriber
):
    signed = signed_plan(patient, prescriber)
    with time_machine.travel(IN_STEP_2, tick=False):
        plan_services.plan_slow(plan=signed.plan, user=prescriber, data={}, reason="Slower")
        prescriber_client.force_login(prescriber)
        response = prescriber_client.post(
            f"/plans/{signed.plan_id}/return/", {"reason": "Worse sleep"}
        )
        assert response.status_code == 409
        page = html(response)
        assert "already an open draft" in page and 'data-testid="replace-draft"' in page
        assert signed.plan.revisions.filter(status="draft").get().kind == "slow"
        replaced = prescriber_client.post(
            f"/plans/{signed.plan_id}/return/", {"reason": "Worse sleep", "replace_draft": "on"}
        )
    assert replaced.status_code == 302
    drafts = signed.plan.revisions.filter(status="draft")
    assert [d.kind for d in drafts] == ["return"]
    assert signed.plan.revisions.filter(status="discarded", kind="slow").count() == 1


def test_a_superseded_plan_says_so_and_links_to_the_plan_in_force(
    prescriber_client, patient, prescriber
):
    first = signed_plan(patient, prescriber)
    second = plan_services.plan_create(
        patient=patient, user=prescriber, data=preview_body(start_date="2027-03-01"), supersede=True
    )
    plan_services.revision_sign(revision=second, user=prescriber, confirm=True)
    page = html(prescriber_client.get(f"/plans/{first.plan_id}/"))
    assert 'data-testid="superseded"' in page and "ended on 28 Feb 2027" in page
    assert "Hold the current step" not in page


# --- the builder and the patient page ------------------------------------------------------------


def test_the_builder_asks_to_confirm_replacing_the_plan_in_force(
    prescriber_client, patient, prescriber
):
    first = signed_plan(patient, prescriber)
    page = html(prescriber_client.get(f"/patients/{patient.pk}/plans/new/"))
    assert 'data-testid="supersede"' in page and f"Plan #{first.plan_id}" in page
    refused = prescriber_client.post(f"/patients/{patient.pk}/plans/new/", builder_data())
    assert refused.status_code == 200 and "is in force for this patient" in html(refused)
    assert TaperPlan.objects.filter(patient=patient).count() == 1
    saved = prescriber_client.post(
        f"/patients/{patient.pk}/plans/new/", builder_data(supersede="on")
    )
    assert saved.status_code == 302
    new = TaperPlan.objects.exclude(pk=first.plan_id).get()
    assert new.supersedes_id == first.plan_id and new.status == TaperPlan.Status.DRAFT


def test_the_builder_sends_a_patient_with_a_draft_plan_back_to_it(
    prescriber_client, patient, prescriber
):
    draft = plan_services.plan_create(patient=patient, user=prescriber, data=preview_body())
    response = prescriber_client.get(f"/patients/{patient.pk}/plans/new/")
    assert response.status_code == 302 and response.url == f"/plans/{draft.plan_id}/"


def test_the_patient_page_shows_the_plans_start_date_not_its_signing_date(
    prescriber_client, patient, prescriber
):
    with time_machine.travel(datetime.datetime(2026, 12, 20, 9, tzinfo=datetime.UTC)):
        signed = signed_plan(patient, prescriber)
    page = html(prescriber_client.get(f"/patients/{patient.pk}/"))
    assert "started 4 Jan 2027" in page
    assert "20 Dec 2026" not in page
    assert "in force · revision 1" in page
    assert signed.start_date == datetime.date(2027, 1, 4)


def test_a_start_date_in_the_past_needs_the_box_ticked(prescriber_client, patient, prescriber):
    with time_machine.travel(datetime.datetime(2027, 1, 10, 9, tzinfo=datetime.UTC)):
        prescriber_client.force_login(prescriber)
        refused = prescriber_client.post(
            f"/patients/{patient.pk}/plans/new/", builder_data(start_date="2027-01-04")
        )
        assert "is in the past" in html(refused)
        saved = prescriber_client.post(
            f"/patients/{patient.pk}/plans/new/",
            builder_data(start_date="2027-01-04", allow_past_start="on"),
        )
    assert saved.status_code == 302
    assert PlanRevision.objects.get(plan__patient=patient).start_date == datetime.date(2027, 1, 4)


# --- bodies are parsed before a service sees them ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"days": "\u0663", "reason": "Anxious"}, "days"),  # Arabic-Indic three
        ({"days": True, "reason": "Anxious"}, "days"),
        ({"days": 3.5, "reason": "Anxious"}, "days"),
        ({"days": 0, "reason": "Anxious"}, "days"),
        ({"days": 7, "reason": "x" * 200_000}, "reason"),
        ({"days": 7}, "reason"),
    ],
)
def test_a_hold_body_is_parsed_strictly(prescriber_client, patient, prescriber, body, field):
    signed = signed_plan(patient, prescriber)
    response = prescriber_client.post(
        f"/api/v1/plans/{signed.plan_id}/hold/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert signed.plan.revisions.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"confirm": "yes"}, "confirm"),
        ({"confirm": False}, "confirm"),
        (
            {"confirm": True, "overrides": [{"rule": "x", "step": "one", "reason": "Agreed"}]},
            "overrides",
        ),
        ({"confirm": True, "overrides": [{"rule": "x", "step": 1, "reason": "ok"}]}, "overrides"),
    ],
)
def test_a_sign_body_is_parsed_strictly(prescriber_client, patient, prescriber, body, field):
    draft = plan_services.plan_create(patient=patient, user=prescriber, data=preview_body())
    response = prescriber_client.post(
        f"/api/v1/plans/{draft.plan_id}/sign/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    draft.refresh_from_db()
    assert draft.status == PlanRevision.Status.DRAFT

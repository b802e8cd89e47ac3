"""Free-text reasons have one length limit (``MAX_REASON_LENGTH``) in the forms, the API and the
services; hold days are ASCII digits or JSON integers only."""

from __future__ import annotations

import json

import pytest

from schedules.services import plans as plan_services
from schedules.services.plans import MAX_REASON_LENGTH, OverrideInput, PlanError
from tests.plan_helpers import TODAY, draft_plan, preview_body, signed_plan

pytestmark = pytest.mark.django_db

TOO_LONG = "x" * (MAX_REASON_LENGTH + 1)
HUGE = "x" * 200_000  # a 200 KB reason: under the request size limit, over the reason limit


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def plan_id(patient, prescriber):
    return signed_plan(patient, prescriber).plan_id


def test_a_200_kb_hold_reason_is_refused_by_the_api_and_nothing_is_stored(
    prescriber_client, plan_id, patient
):
    response = post(
        prescriber_client, f"/api/v1/plans/{plan_id}/hold/", {"days": 7, "reason": HUGE}
    )
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert patient.plans.get().revisions.count() == 1


@pytest.mark.parametrize("days", ["٣", "\uff13", "3.0", True, 3.5, " 3x"])
def test_hold_days_are_ascii_digits_or_a_json_integer(prescriber_client, plan_id, days):
    response = post(
        prescriber_client, f"/api/v1/plans/{plan_id}/hold/", {"days": days, "reason": "Why not"}
    )
    assert response.status_code == 400
    assert "days" in response.json()["errors"]


@pytest.mark.parametrize("days", [3, "3"])
def test_hold_days_as_digits_or_integer_are_accepted(prescriber_client, plan_id, days):
    response = post(
        prescriber_client, f"/api/v1/plans/{plan_id}/hold/", {"days": days, "reason": "Why not"}
    )
    assert response.status_code == 201, response.content


def test_an_override_reason_over_the_limit_is_refused_by_the_api(prescriber_client, patient):
    response = post(
        prescriber_client,
        f"/api/v1/patients/{patient.pk}/plans/",
        {**preview_body(), "overrides": [{"rule": "r", "step": 1, "reason": TOO_LONG}]},
    )
    assert response.status_code == 400
    assert "overrides" in response.json()["errors"]


def test_services_refuse_a_hold_reason_over_the_limit(plan_id, prescriber):
    plan = plan_services.TaperPlan.objects.get(pk=plan_id)
    with pytest.raises(PlanError) as error:
        plan_services.plan_hold(plan=plan, user=prescriber, days=7, reason=TOO_LONG, today=TODAY)
    assert list(error.value.errors) == ["reason"]
    # At the limit is fine.
    plan_services.plan_hold(
        plan=plan, user=prescriber, days=7, reason="y" * MAX_REASON_LENGTH, today=TODAY
    )


def test_services_refuse_slow_and_return_reasons_over_the_limit(plan_id, prescriber):
    plan = plan_services.TaperPlan.objects.get(pk=plan_id)
    with pytest.raises(PlanError) as error:
        plan_services.plan_slow(
            plan=plan,
            user=prescriber,
            data={"strategy": "proportional", "reduction_percent": "5", "interval_days": 28},
            reason=TOO_LONG,
            today=TODAY,
        )
    assert "reason" in error.value.errors
    with pytest.raises(PlanError) as error:
        plan_services.plan_return_to_previous(
            plan=plan, user=prescriber, reason=TOO_LONG, today=TODAY
        )
    assert "reason" in error.value.errors


def test_services_refuse_an_override_reason_over_the_limit(patient, prescriber):
    draft = draft_plan(patient, prescriber)
    overrides = [OverrideInput(v["rule"], v.get("step"), TOO_LONG) for v in draft.violations]
    overrides = overrides or [OverrideInput("max-25-percent-per-14-days", 1, TOO_LONG)]
    with pytest.raises(PlanError) as error:
        plan_services.revision_sign(
            revision=draft, user=prescriber, confirm=True, overrides=overrides
        )
    assert "overrides.0.reason" in error.value.errors


def test_services_refuse_a_discard_reason_longer_than_is_stored(patient, prescriber):
    draft = draft_plan(patient, prescriber)
    with pytest.raises(PlanError) as error:
        plan_services.draft_discard(revision=draft, user=prescriber, reason=TOO_LONG)
    assert "reason" in error.value.errors
    draft.refresh_from_db()
    assert draft.status == draft.Status.DRAFT


def test_the_hold_form_has_the_same_limit():
    from schedules.forms import HoldForm

    form = HoldForm({"days": "7", "reason": TOO_LONG})
    assert not form.is_valid()
    assert "reason" in form.errors

"""A failure in the middle of saving or signing a plan leaves nothing half-written."""

from __future__ import annotations

import pytest

from schedules.models import PlanRevision, PlanStep, TaperPlan
from schedules.services import plans as plan_services
from tests.plan_helpers import overrides_for, preview_body

pytestmark = pytest.mark.django_db(transaction=True)


class Injected(RuntimeError):
    pass


def boom(*args, **kwargs):
    raise Injected("injected failure")


def test_a_failure_while_saving_a_new_plan_leaves_no_plan(
    monkeypatch, catalogue, patient, prescriber
):
    monkeypatch.setattr(plan_services, "_record_overrides", boom)  # after plan, revision, steps
    with pytest.raises(Injected):
        plan_services.plan_create(patient=patient, user=prescriber, data=preview_body())
    assert not TaperPlan.objects.exists()
    assert not PlanRevision.objects.exists()
    assert not PlanStep.objects.exists()


def test_a_failure_while_signing_leaves_the_draft_unsigned(
    monkeypatch, catalogue, patient, prescriber
):
    draft = plan_services.plan_create(patient=patient, user=prescriber, data=preview_body())
    monkeypatch.setattr(plan_services, "_put_in_force", boom)  # after the revision is marked
    with pytest.raises(Injected):
        plan_services.revision_sign(
            revision=draft,
            user=prescriber,
            confirm=True,
            overrides=overrides_for(draft, "Reviewed with the patient."),
        )
    draft.refresh_from_db()
    assert draft.signed_at is None
    assert TaperPlan.objects.get().status == TaperPlan.Status.DRAFT

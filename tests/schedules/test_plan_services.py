"""Drafts, signing with overrides, immutability, holds and revisions."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from schedules import selectors, tasks
from schedules.models import Override, PlanRevision, PlanStep, SignedRevisionError, StepDose
from schedules.services import plans as plan_services
from schedules.services.plans import OverrideInput
from tests.plan_helpers import (
    crossover_body,
    draft_plan,
    overrides_for,
    preview_body,
    signed_plan,
)

pytestmark = pytest.mark.django_db


def test_draft_stores_the_engine_output_as_rows(patient, prescriber):
    revision = draft_plan(patient, prescriber)
    preview = plan_services.plan_preview(preview_body())
    assert revision.status == PlanRevision.Status.DRAFT
    assert revision.steps.count() == len(preview["steps"])
    assert revision.algorithm_version == preview["algorithm_version"]
    first = revision.steps.order_by("index").first()
    assert first.start_date == datetime.date(2027, 1, 4)


def test_signing_needs_confirmation(patient, prescriber):
    revision = draft_plan(patient, prescriber)
    with pytest.raises(plan_services.PlanError) as excinfo:
        plan_services.revision_sign(revision=revision, user=prescriber, confirm=False)
    assert "confirm" in excinfo.value.errors
    revision.refresh_from_db()
    assert revision.status == PlanRevision.Status.DRAFT


def test_only_a_prescriber_signs(patient, prescriber, nurse):
    revision = draft_plan(patient, prescriber)
    with pytest.raises(PermissionDenied):
        plan_services.revision_sign(revision=revision, user=nurse, confirm=True)


def test_each_violation_needs_an_override_reason(patient, prescriber):
    revision = draft_plan(patient, prescriber, reduction_percent="40")
    assert revision.violations
    with pytest.raises(plan_services.PlanError) as excinfo:
        plan_services.revision_sign(revision=revision, user=prescriber, confirm=True)
    assert "overrides" in excinfo.value.errors
    overrides = overrides_for(revision, "Short exposure, patient request.")
    signed = plan_services.revision_sign(
        revision=revision, user=prescriber, confirm=True, overrides=overrides
    )
    assert signed.status == PlanRevision.Status.SIGNED
    assert signed.signed_by == prescriber and signed.signed_at is not None
    assert Override.objects.filter(revision=signed).count() == len(revision.violations)
    assert Override.objects.first().reason == "Short exposure, patient request."


def test_override_for_a_violation_that_does_not_exist_is_refused(patient, prescriber):
    revision = draft_plan(patient, prescriber)
    with pytest.raises(plan_services.PlanError) as excinfo:
        plan_services.revision_sign(
            revision=revision,
            user=prescriber,
            confirm=True,
            overrides=[OverrideInput("made-up", 1, "Because I can.")],
        )
    assert "overrides.0" in excinfo.value.errors
    assert not Override.objects.exists()


def test_signed_revision_is_immutable(patient, prescriber):
    revision = signed_plan(patient, prescriber)
    revision.reason = "sneaky edit"
    with pytest.raises(SignedRevisionError):
        revision.save()
    step = revision.steps.first()
    step.days = 99
    with pytest.raises(SignedRevisionError):
        step.save()
    # Each attempt in its own savepoint: a refused bulk delete aborts the transaction it is in.
    with pytest.raises(SignedRevisionError), transaction.atomic():
        PlanStep.objects.filter(revision=revision).delete()
    with pytest.raises(SignedRevisionError), transaction.atomic():
        StepDose.objects.filter(step__revision=revision).delete()
    with pytest.raises(SignedRevisionError), transaction.atomic():
        revision.delete()
    assert PlanStep.objects.filter(revision=revision).count() == revision.steps.count() > 0


def test_signing_queues_the_document_on_commit(
    patient, prescriber, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.render_plan_document, "delay", queued.append)
    revision = draft_plan(patient, prescriber)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        plan_services.revision_sign(revision=revision, user=prescriber, confirm=True)
    assert queued == []  # nothing before commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert queued == [revision.pk]


def test_hold_makes_a_new_revision_and_shifts_later_steps(patient, prescriber, nurse):
    first = signed_plan(patient, prescriber)
    today = datetime.date(2027, 1, 10)  # inside step 1
    held = plan_services.plan_hold(
        plan=first.plan, user=nurse, days=7, reason="Rebound anxiety", today=today
    )
    assert held.number == 2 and held.kind == PlanRevision.Kind.HOLD
    assert held.status == PlanRevision.Status.SIGNED and held.signed_by == nurse
    assert held.effective_from == today
    assert held.end_date == first.end_date + datetime.timedelta(days=7)
    hold_steps = held.steps.filter(phase=PlanStep.Phase.HOLD)
    assert hold_steps.count() == 1
    first.refresh_from_db()
    assert first.status == PlanRevision.Status.SIGNED  # the past is kept as it was
    assert selectors.plan_state(first.plan, today).in_force == held


def test_hold_validates_days_and_reason(patient, prescriber, nurse):
    first = signed_plan(patient, prescriber)
    with pytest.raises(plan_services.PlanError) as excinfo:
        plan_services.plan_hold(plan=first.plan, user=nurse, days=0, reason="x")
    assert "days" in excinfo.value.errors
    with pytest.raises(plan_services.PlanError) as excinfo:
        plan_services.plan_hold(plan=first.plan, user=nurse, days=7, reason="")
    assert "reason" in excinfo.value.errors
    assert first.plan.revisions.count() == 1


def test_slow_down_makes_a_draft_from_todays_dose(patient, prescriber):
    first = signed_plan(patient, prescriber)
    today = datetime.date(2027, 2, 20)
    draft = plan_services.plan_slow(
        plan=first.plan,
        user=prescriber,
        data={"reduction_percent": "5", "interval_days": 28},
        reason="Struggling with the last cut",
        today=today,
    )
    assert draft.status == PlanRevision.Status.DRAFT and draft.kind == PlanRevision.Kind.SLOW
    assert draft.start_date == today
    current_step = first.steps.get(start_date__lte=today, end_date__gte=today)
    assert draft.steps.order_by("index").first().equivalent_mg == current_step.equivalent_mg


def test_return_to_previous_dose_is_flagged(patient, prescriber):
    first = signed_plan(patient, prescriber)
    today = datetime.date(2027, 2, 20)
    draft = plan_services.plan_return_to_previous(
        plan=first.plan, user=prescriber, reason="Severe insomnia", today=today
    )
    assert draft.kind == PlanRevision.Kind.RETURN
    assert any(w["rule"] == "return-to-previous-dose" for w in draft.warnings)
    current_step = first.steps.get(start_date__lte=today, end_date__gte=today)
    assert draft.steps.order_by("index").first().equivalent_mg > current_step.equivalent_mg


def test_crossover_plan_can_be_created_and_signed(patient, prescriber):
    revision = signed_plan(patient, prescriber, crossover_body())
    assert revision.steps.filter(phase=PlanStep.Phase.CROSSOVER).exists()
    assert StepDose.objects.filter(step__revision=revision, drug__slug="alprazolam").exists()


def test_another_clinics_prescriber_cannot_create_a_plan(patient, other_prescriber):
    with pytest.raises(PermissionDenied):
        plan_services.plan_create(patient=patient, user=other_prescriber, data=preview_body())


def test_hold_carries_overrides_to_the_shifted_steps_and_signs(patient, prescriber, nurse):
    first = signed_plan(patient, prescriber, preview_body(reduction_percent="40"))
    assert first.overrides.count() == len(first.violations) > 0
    held = plan_services.plan_hold(
        plan=first.plan, user=nurse, days=7, reason="Poor sleep", today=datetime.date(2027, 1, 5)
    )
    assert held.status == PlanRevision.Status.SIGNED
    before = {(o.rule, o.step) for o in first.overrides.all()}
    after = {(o.rule, o.step) for o in held.overrides.all()}
    assert after == {(rule, step + 1 if step and step > 1 else step) for rule, step in before}


def test_draft_can_be_discarded_but_a_signed_revision_cannot(patient, prescriber):
    draft = draft_plan(patient, prescriber)
    plan_services.draft_discard(revision=draft, user=prescriber)
    draft.refresh_from_db()
    assert draft.status == PlanRevision.Status.DISCARDED
    signed = signed_plan(patient, prescriber)
    with pytest.raises(plan_services.PlanError):
        plan_services.draft_discard(revision=signed, user=prescriber)


def test_today_is_the_clinics_date(patient, prescriber):
    import time_machine

    revision = signed_plan(patient, prescriber)
    patient.clinic.time_zone = "Pacific/Auckland"
    patient.clinic.save()
    with time_machine.travel(datetime.datetime(2027, 1, 4, 12, 0, tzinfo=datetime.UTC), tick=False):
        assert plan_services.clinic_today(revision.plan) == datetime.date(2027, 1, 5)

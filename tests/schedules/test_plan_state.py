"""One source of truth for plan state: one plan in force per patient, one open draft per plan,
drafts signed only on the revision they were built from, and revisions that start from the
revision in force today (a hold signed a minute ago included)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction

from schedules import selectors
from schedules.models import PlanDocument, PlanRevision, PlanStep, TaperPlan
from schedules.services import plans as plan_services
from tests.factories import PatientFactory
from tests.plan_helpers import draft_plan, overrides_for, preview_body, signed_plan

pytestmark = pytest.mark.django_db

IN_STEP_2 = datetime.date(2027, 1, 20)  # the default plan: 14-day steps from 4 Jan 2027


def _sign(revision: PlanRevision, prescriber) -> PlanRevision:
    return plan_services.revision_sign(
        revision=revision,
        user=prescriber,
        confirm=True,
        overrides=overrides_for(revision, "Reviewed with the patient."),
    )


# --- one plan in force per patient --------------------------------------------------------------


def test_a_second_plan_while_one_is_in_force_is_refused_naming_it(patient, prescriber):
    first = signed_plan(patient, prescriber)
    with pytest.raises(plan_services.PlanConflict) as excinfo:
        draft_plan(patient, prescriber, start_date="2027-03-01")
    assert excinfo.value.plan == first.plan
    assert f"Plan #{first.plan_id}" in excinfo.value.errors["plan"][0]
    assert TaperPlan.objects.filter(patient=patient).count() == 1


def test_superseding_ends_the_old_plan_the_day_before_the_new_one_starts(patient, prescriber):
    first = signed_plan(patient, prescriber)
    revision = plan_services.plan_create(
        patient=patient,
        user=prescriber,
        data=preview_body(start_date="2027-03-01"),
        supersede=True,
    )
    # Until the new plan is signed, the old one stays in force.
    assert selectors.in_force_for_patient(patient) == first
    _sign(revision, prescriber)
    old, new = TaperPlan.objects.get(pk=first.plan_id), revision.plan
    new.refresh_from_db()
    assert old.status == TaperPlan.Status.SUPERSEDED
    assert old.ended_on == datetime.date(2027, 2, 28)
    assert new.status == TaperPlan.Status.ACTIVE and new.supersedes == old
    assert selectors.in_force_for_patient(patient).plan == new
    assert old.history.filter(status="superseded").exists()  # recorded in the old plan's history
    assert new.history.first().supersedes_id == old.pk


def test_the_database_refuses_two_plans_in_force_for_one_patient(patient, prescriber):
    first = signed_plan(patient, prescriber)
    with pytest.raises(IntegrityError), transaction.atomic():
        TaperPlan.objects.create(
            patient=patient, created_by=prescriber, status=TaperPlan.Status.ACTIVE
        )
    assert TaperPlan.objects.get(pk=first.plan_id).status == TaperPlan.Status.ACTIVE


def test_a_patient_with_an_unsigned_plan_is_sent_back_to_it(patient, prescriber):
    draft = draft_plan(patient, prescriber)
    with pytest.raises(plan_services.PlanConflict) as excinfo:
        draft_plan(patient, prescriber)
    assert excinfo.value.plan == draft.plan
    plan_services.draft_discard(revision=draft, user=prescriber)
    draft.plan.refresh_from_db()
    assert draft.plan.status == TaperPlan.Status.ABANDONED
    assert draft_plan(patient, prescriber).plan != draft.plan  # a new start is possible now


# --- one open draft per plan ---------------------------------------------------------------------


def test_a_second_draft_is_refused_until_the_prescriber_replaces_the_first(patient, prescriber):
    signed = signed_plan(patient, prescriber)
    slow = plan_services.plan_slow(
        plan=signed.plan,
        user=prescriber,
        data={"reduction_percent": "5"},
        reason="Struggling",
        today=IN_STEP_2,
    )
    with pytest.raises(plan_services.PlanConflict) as excinfo:
        plan_services.plan_return_to_previous(
            plan=signed.plan, user=prescriber, reason="Worse", today=IN_STEP_2
        )
    assert excinfo.value.revision == slow
    assert "open draft" in excinfo.value.errors["draft"][0]
    back = plan_services.plan_return_to_previous(
        plan=signed.plan, user=prescriber, reason="Worse", today=IN_STEP_2, replace_draft=True
    )
    slow.refresh_from_db()
    assert slow.status == PlanRevision.Status.DISCARDED
    assert slow.discarded_by == prescriber and slow.discard_reason
    state = selectors.plan_state(signed.plan, IN_STEP_2)
    assert state.draft == back and state.in_force == signed


def test_the_database_refuses_two_open_drafts_in_one_plan(patient, prescriber):
    draft = draft_plan(patient, prescriber)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanRevision.objects.create(
            **{
                f.name: getattr(draft, f.name)
                for f in PlanRevision._meta.concrete_fields
                if f.name not in ("id", "number")
            },
            number=2,
        )


def test_discarding_leaves_a_history_row_with_the_actor(patient, prescriber):
    draft = draft_plan(patient, prescriber)
    plan_services.draft_discard(revision=draft, user=prescriber, reason="Wrong drug")
    row = draft.history.order_by("-history_date").first()
    assert row.status == PlanRevision.Status.DISCARDED
    assert row.history_user == prescriber
    assert row.discard_reason == "Wrong drug"


# --- a draft is signed only on the revision it was built from ------------------------------------


def test_a_draft_made_before_a_hold_cannot_be_signed_and_nothing_is_left_behind(
    patient, prescriber, nurse, django_capture_on_commit_callbacks
):
    v1 = signed_plan(patient, prescriber)
    v2 = plan_services.plan_slow(
        plan=v1.plan, user=prescriber, data={}, reason="Slower please", today=IN_STEP_2
    )
    v3 = plan_services.plan_hold(
        plan=v1.plan, user=nurse, days=7, reason="Rebound anxiety", today=IN_STEP_2
    )
    assert v3.is_signed
    documents_before = PlanDocument.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(plan_services.PlanConflict) as excinfo,
    ):
        _sign(v2, prescriber)
    assert "A hold was recorded since this draft was made" in excinfo.value.errors["revision"][0]
    assert "rebuild the draft from the plan in force" in excinfo.value.errors["revision"][0]
    v2.refresh_from_db()
    assert v2.status == PlanRevision.Status.DRAFT
    assert callbacks == [] and PlanDocument.objects.count() == documents_before
    state = selectors.plan_state(v1.plan, IN_STEP_2)
    assert state.in_force == v3 and state.draft_is_stale


def test_the_database_refuses_two_signed_revisions_from_one_base(patient, prescriber, nurse):
    v1 = signed_plan(patient, prescriber)
    plan_services.plan_hold(plan=v1.plan, user=nurse, days=7, reason="Anxious", today=IN_STEP_2)
    v2 = plan_services.plan_slow(
        plan=v1.plan, user=prescriber, data={}, reason="Slow", today=IN_STEP_2
    )
    v2_row = PlanRevision.objects.filter(pk=v2.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        # Bypass the service (and the model's own guard) as a bug would.
        v2_row.update(previous=v1, status="signed", signed_by=prescriber, signed_at=v1.signed_at)


# --- revisions start from the revision in force today --------------------------------------------


def test_slowing_down_after_a_hold_keeps_the_held_dose_to_the_end_of_the_hold(
    patient, prescriber, nurse
):
    v1 = signed_plan(patient, prescriber)
    hold = plan_services.plan_hold(
        plan=v1.plan, user=nurse, days=14, reason="Poor sleep", today=IN_STEP_2
    )
    held_step = selectors.step_in_progress(hold.steps.order_by("index"), IN_STEP_2)
    hold_end = hold.steps.get(phase=PlanStep.Phase.HOLD).end_date
    slow = plan_services.plan_slow(
        plan=v1.plan,
        user=prescriber,
        data={"reduction_percent": "5", "interval_days": 7},
        reason="Slower",
        today=IN_STEP_2,
    )
    assert slow.previous == hold  # built from the hold, not from the revision before it
    first_cut = slow.steps.filter(equivalent_mg__lt=held_step.equivalent_mg).order_by("index")
    assert first_cut.first().start_date > hold_end
    for step in slow.steps.filter(start_date__lte=hold_end):
        assert step.equivalent_mg == held_step.equivalent_mg


def test_returning_after_a_hold_starts_from_the_hold(patient, prescriber, nurse):
    v1 = signed_plan(patient, prescriber)
    hold = plan_services.plan_hold(
        plan=v1.plan, user=nurse, days=7, reason="Poor sleep", today=IN_STEP_2
    )
    back = plan_services.plan_return_to_previous(
        plan=v1.plan, user=prescriber, reason="Worse", today=IN_STEP_2
    )
    assert back.previous == hold
    assert back.steps.order_by("index").first().equivalent_mg == Decimal(20)


ACTIONS = ("hold", "slow", "return")


@pytest.mark.parametrize("order", list(itertools.permutations(ACTIONS)))
def test_sign_hold_slow_return_in_every_order(order, patient, prescriber, nurse):
    """Each action starts from the revision in force (signed a moment ago included); the signed
    revisions form one chain; the dose never rises except on a return; one draft at most."""
    v1 = signed_plan(patient, prescriber, preview_body(interval_days=7))
    plan = v1.plan
    day = datetime.date(2027, 1, 12)
    for action in order:
        state = selectors.plan_state(plan, day)
        before = state.today_step.equivalent_mg
        if action == "hold":
            revision = plan_services.plan_hold(
                plan=plan, user=nurse, days=7, reason="Symptoms", today=day
            )
        elif action == "slow":
            revision = plan_services.plan_slow(
                plan=plan,
                user=prescriber,
                data={"reduction_percent": "5"},
                reason="Slow",
                today=day,
            )
        else:
            revision = plan_services.plan_return_to_previous(
                plan=plan, user=prescriber, reason="Back", today=day
            )
        assert revision.previous == state.in_force
        if not revision.is_signed:
            _sign(revision, prescriber)
        after = selectors.plan_state(plan, day)
        assert after.in_force == revision and after.draft is None
        if action != "return":
            assert after.today_step.equivalent_mg == before
        day += datetime.timedelta(days=3)
    chain = list(PlanRevision.objects.filter(plan=plan).signed().order_by("number"))
    assert [r.previous_id for r in chain] == [None, *[r.pk for r in chain[:-1]]]


# --- "today" is the clinic's date ----------------------------------------------------------------


def test_plan_state_uses_the_clinics_date(patient, prescriber):
    revision = signed_plan(patient, prescriber)
    patient.clinic.time_zone = "Pacific/Auckland"
    patient.clinic.save()
    # 23:30 UTC on 17 Jan is already 18 Jan in Auckland: the last day of step 1 has passed there.
    with time_machine.travel(datetime.datetime(2027, 1, 17, 23, 30, tzinfo=datetime.UTC)):
        state = selectors.plan_state(revision.plan)
    assert state.today == datetime.date(2027, 1, 18)
    assert state.today_step.index == 2


# --- a start date in the past --------------------------------------------------------------------


def test_a_start_in_the_past_needs_confirmation_and_at_most_14_days(prescriber):
    patient = PatientFactory(clinic=prescriber.clinic)
    with time_machine.travel(datetime.datetime(2027, 1, 20, 12, tzinfo=datetime.UTC)):
        with pytest.raises(plan_services.PlanError) as excinfo:
            draft_plan(patient, prescriber, start_date="2027-01-18")
        assert "in the past" in excinfo.value.errors["start_date"][0]
        with pytest.raises(plan_services.PlanError) as excinfo:
            draft_plan(patient, prescriber, start_date="2027-01-05", allow_past_start=True)
        assert "more than 14 days before today" in excinfo.value.errors["start_date"][0]
        revision = draft_plan(patient, prescriber, start_date="2027-01-18", allow_past_start=True)
    assert revision.start_date == datetime.date(2027, 1, 18)
    assert "allow_past_start" not in revision.request

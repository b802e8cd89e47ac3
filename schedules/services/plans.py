"""Writes for taper plans: engine output in, immutable rows out, tasks queued on commit.

Views and the API call these; they never touch the models directly. Every function takes the
acting user, checks the role, and raises :class:`PlanError` (a message per field, shown to the
user as it is) or :class:`PermissionDenied`. Nothing is written when an error is raised.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.clinic_time import clinic_today as accounts_clinic_today
from accounts.models import User
from catalogue.labels import ProductLabel
from catalogue.models import Drug
from medications import selectors as medication_selectors
from patients.models import Patient
from schedules import engine, selectors
from schedules.models import (
    Override,
    PlanRevision,
    PlanStep,
    StepDose,
    TaperPlan,
)
from schedules.services import documents

logger = logging.getLogger(__name__)

SLOT_ORDER = {"morning": 0, "midday": 1, "evening": 2, "night": 3}
MAX_HOLD_DAYS = 84
#: The longest free-text reason or note anyone writes (holds, slow-downs, returns, overrides,
#: discards, check-in reviews): the forms, the API serializers and these services share it.
MAX_REASON_LENGTH = 2000
TOO_LONG = f"Keep it under {MAX_REASON_LENGTH} characters."
DISCARD_REASON_LENGTH: int = PlanRevision._meta.get_field("discard_reason").max_length or 300


class PlanError(Exception):
    """Bad input for a plan action: ``errors`` maps a field to its messages."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors = {key: list(messages) for key, messages in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class PlanConflict(PlanError):
    """The action conflicts with the plan's state (HTTP 409): another plan is in force, a draft
    is already open, or the revision a draft was built from is no longer in force.

    ``plan`` and ``revision`` name what it conflicts with, so a page can link to it.
    """

    def __init__(
        self,
        errors: Mapping[str, Sequence[str]],
        *,
        plan: TaperPlan | None = None,
        revision: PlanRevision | None = None,
    ) -> None:
        super().__init__(errors)
        self.plan = plan
        self.revision = revision


@functools.cache
def reference() -> engine.Reference:
    """The engine's view of the catalogue, read once from the same versioned files the data
    migration loads (a test checks that the database and the files agree). Each product carries
    its label (:mod:`catalogue.labels`), so the engine's messages name products as every output
    does."""
    base = engine.load_reference()
    names = {drug.slug: drug.name for drug in base.drugs}
    labelled = tuple(
        dataclasses.replace(p, label=ProductLabel.of(p, names.get(p.drug, p.drug)).label)
        for p in base.products
    )
    return dataclasses.replace(base, products=labelled)


def plan_preview(data: Mapping[str, Any], *, today: datetime.date | None = None) -> dict[str, Any]:
    """Build the plan the engine would make for ``data`` (the preview API body). Writes nothing.

    With ``today`` (the clinic's date) the engine checks the start date against it: a start in
    the past needs ``allow_past_start``, and never more than 14 days back.
    """
    try:
        request = engine.parse_plan_request(data, reference(), today=today)
        return engine.build_plan(request, reference()).to_dict()
    except engine.PlanInputError as exc:
        raise PlanError(exc.errors) from exc
    except (ArithmeticError, ValueError) as exc:
        # An engine bug must not become a 500 or a silently "fixed" plan: refuse, and log the
        # failure (no patient data reaches the engine, so none reaches the log).
        logger.exception("taper engine failed on a request")
        raise PlanError(
            {"plan": ["This plan could not be built; change a dose or the strategy and try again."]}
        ) from exc


def _require_role(user: User, *roles: str) -> None:
    if not user.is_clinic_staff or user.role not in roles:
        raise PermissionDenied("Your role may not do this.")


def _engine_request(data: Mapping[str, Any]) -> dict[str, Any]:
    """The request as stored on a revision: the engine's body, without the one-off confirmation
    of a past start (a rebuild later, for a hold, is not a new start)."""
    return {key: value for key, value in data.items() if key != "allow_past_start"}


@dataclass(frozen=True)
class OverrideInput:
    """A prescriber's reason for signing despite the violation of ``rule`` at ``step`` (``None``
    for a rule about the whole plan). Forms and serializers parse these; services check them."""

    rule: str
    step: int | None
    reason: str


MIN_OVERRIDE_REASON = 5


def _check_overrides(overrides: Sequence[OverrideInput]) -> list[dict[str, Any]]:
    """Each override needs a clinical reason; returns them as stored rows' fields."""
    errors = {
        f"overrides.{i}.reason": [
            f"Give the clinical reason for overriding this rule (at least "
            f"{MIN_OVERRIDE_REASON} characters)."
        ]
        for i, o in enumerate(overrides)
        if len(o.reason.strip()) < MIN_OVERRIDE_REASON
    }
    errors.update(
        {
            f"overrides.{i}.reason": [TOO_LONG]
            for i, o in enumerate(overrides)
            if len(o.reason.strip()) > MAX_REASON_LENGTH
        }
    )
    if errors:
        raise PlanError(errors)
    return [{"rule": o.rule, "step": o.step, "reason": o.reason.strip()} for o in overrides]


def _violation_keys(violations: Iterable[Mapping[str, Any]]) -> set[tuple[str, int | None]]:
    return {(v["rule"], v.get("step")) for v in violations}


def _check_overrides_match(
    overrides: list[dict[str, Any]], violations: list[dict[str, Any]]
) -> None:
    known = _violation_keys(violations)
    errors = {
        f"overrides.{i}": [
            f"There is no {o['rule']} violation at step {o['step']} to override in this plan."
        ]
        for i, o in enumerate(overrides)
        if (o["rule"], o["step"]) not in known
    }
    if errors:
        raise PlanError(errors)


def _drug_ids() -> dict[str, int]:
    return dict(Drug.objects.values_list("slug", "pk"))


def clinic_today(plan: TaperPlan) -> datetime.date:
    """Today's date where the patient's clinic is (a step changes at the clinic's midnight)."""
    return accounts_clinic_today(plan.patient.clinic)


def _store_revision(
    *,
    plan: TaperPlan,
    kind: str,
    reason: str,
    previous: PlanRevision | None,
    request_data: dict[str, Any],
    output: dict[str, Any],
    user: User,
    effective_from: datetime.date,
    signed: bool = False,
) -> PlanRevision:
    """Store a built plan as a revision: a draft, or ``signed`` by ``user`` at once (a hold,
    which lowers no dose, so that it never sits as a second open draft)."""
    steps = output["steps"]
    number = (plan.revisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    revision = PlanRevision.objects.create(
        plan=plan,
        number=number,
        kind=kind,
        reason=reason,
        previous=previous,
        request=request_data,
        algorithm_version=output["algorithm_version"],
        equivalence_source=request_data["equivalence_source"],
        country=request_data["country"],
        start_date=datetime.date.fromisoformat(steps[0]["start_date"]),
        end_date=datetime.date.fromisoformat(steps[-1]["end_date"]),
        effective_from=effective_from,
        start_equivalent_mg=Decimal(output["start_equivalent_mg"]),
        target_mg=Decimal(str(request_data.get("target_mg") or "0")),
        total_days=output["total_days"],
        equivalence=output["equivalence"],
        violations=output["violations"],
        warnings=output["warnings"],
        created_by=user,
        status=PlanRevision.Status.SIGNED if signed else PlanRevision.Status.DRAFT,
        signed_by=user if signed else None,
        signed_at=timezone.now() if signed else None,
    )
    step_rows = PlanStep.objects.bulk_create(
        PlanStep(
            revision=revision,
            index=step["index"],
            start_date=datetime.date.fromisoformat(step["start_date"]),
            end_date=datetime.date.fromisoformat(step["end_date"]),
            days=step["days"],
            equivalent_mg=Decimal(step["equivalent_mg"]),
            reduction_percent=Decimal(step["reduction_percent"]),
            phase=step["phase"],
        )
        for step in steps
    )
    drug_ids = _drug_ids()
    StepDose.objects.bulk_create(
        StepDose(
            step=row,
            slot=dose["slot"],
            slot_order=SLOT_ORDER[dose["slot"]],
            drug_id=drug_ids[dose["drug"]],
            mg=Decimal(dose["mg"]),
            units=dose["units"],
        )
        for row, step in zip(step_rows, steps, strict=True)
        for dose in step["doses"]
    )
    return revision


def _record_overrides(revision: PlanRevision, overrides: list[dict[str, Any]], user: User) -> None:
    for item in overrides:
        Override.objects.update_or_create(
            revision=revision,
            rule=item["rule"],
            step=item["step"],
            defaults={"reason": item["reason"], "created_by": user},
        )


def _locked_patient_plans(patient: Patient) -> list[TaperPlan]:
    """The patient's open plans (in force or unsigned), locked so that two requests racing to
    make or sign a plan for one patient run one after the other."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    return list(
        TaperPlan.objects.select_for_update()
        .filter(patient=patient, status__in=[TaperPlan.Status.ACTIVE, TaperPlan.Status.DRAFT])
        .order_by("pk")
    )


def _in_force_text(plan: TaperPlan) -> str:
    revision = PlanRevision.objects.filter(plan=plan).in_force().first()
    if revision is None:
        return f"Plan #{plan.pk}"
    return (
        f"Plan #{plan.pk} (revision {revision.number}, from "
        f"{revision.start_date:%d %b %Y} to {revision.end_date:%d %b %Y})"
    )


@transaction.atomic
def plan_create(
    *,
    patient: Patient,
    user: User,
    data: Mapping[str, Any],
    overrides: Sequence[OverrideInput] = (),
    supersede: bool = False,
) -> PlanRevision:
    """Start a plan for ``patient`` from a preview body (``data``, which the engine parses).

    Returns the first revision, a draft. Overrides given now are stored with it and must each
    match a violation of the built plan; signing needs one for every violation.

    A patient has one plan in force. While one is, a new plan needs ``supersede=True`` (the
    prescriber confirms that it replaces the plan in force, which ends the day before the new one
    starts, when the new one is signed); otherwise :class:`PlanConflict` names the plan in force.
    A patient with an unsigned plan gets that plan back as a conflict: finish or discard it first.
    """
    _require_role(user, User.Role.PRESCRIBER)
    if patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Another clinic's patient.")
    open_plans = _locked_patient_plans(patient)
    unsigned = next((p for p in open_plans if p.status == TaperPlan.Status.DRAFT), None)
    if unsigned is not None:
        raise PlanConflict(
            {
                "plan": [
                    f"Plan #{unsigned.pk} for this patient is a draft that has not been signed. "
                    "Open it to finish it, or discard it before starting another plan."
                ]
            },
            plan=unsigned,
        )
    in_force = next((p for p in open_plans if p.status == TaperPlan.Status.ACTIVE), None)
    if in_force is not None and not supersede:
        raise PlanConflict(
            {
                "plan": [
                    f"{_in_force_text(in_force)} is in force for this patient. Confirm that the "
                    "new plan replaces it: the plan in force then ends the day before the new "
                    "one starts."
                ]
            },
            plan=in_force,
        )
    checked = _check_overrides(overrides)
    request_data = _engine_request(data)
    output = plan_preview(data, today=accounts_clinic_today(patient.clinic))
    _check_overrides_match(checked, output["violations"])
    plan = TaperPlan.objects.create(
        patient=patient,
        created_by=user,
        supersedes=in_force,
        record_snapshot=medication_selectors.snapshot(
            patient, accounts_clinic_today(patient.clinic)
        ),
    )
    revision = _store_revision(
        plan=plan,
        kind=PlanRevision.Kind.INITIAL,
        reason="",
        previous=None,
        request_data=request_data,
        output=output,
        user=user,
        effective_from=datetime.date.fromisoformat(output["steps"][0]["start_date"]),
    )
    _record_overrides(revision, checked, user)
    return revision


@transaction.atomic
def draft_update(
    *,
    revision: PlanRevision,
    user: User,
    data: Mapping[str, Any],
    overrides: Sequence[OverrideInput] = (),
) -> PlanRevision:
    """Replace a draft's content with a new build (the builder's "save draft")."""
    _require_role(user, User.Role.PRESCRIBER)
    revision = PlanRevision.objects.select_for_update().get(pk=revision.pk)
    if revision.status != PlanRevision.Status.DRAFT:
        raise PlanError({"revision": ["Only a draft can be changed; this one is signed."]})
    checked = _check_overrides(overrides)
    request_data = _engine_request(data)
    output = plan_preview(data, today=clinic_today(revision.plan))
    _check_overrides_match(checked, output["violations"])
    plan, previous, kind, reason = revision.plan, revision.previous, revision.kind, revision.reason
    effective = revision.effective_from
    start = datetime.date.fromisoformat(output["steps"][0]["start_date"])
    revision.overrides.all().delete()
    revision.steps.all().delete()
    revision.delete()
    new = _store_revision(
        plan=plan,
        kind=kind,
        reason=reason,
        previous=previous,
        request_data=request_data,
        output=output,
        user=user,
        effective_from=start if kind == PlanRevision.Kind.INITIAL else max(effective, start),
    )
    _record_overrides(new, checked, user)
    return new


KIND_WORDS: dict[str, str] = {
    PlanRevision.Kind.INITIAL: "a new plan",
    PlanRevision.Kind.HOLD: "a hold",
    PlanRevision.Kind.SLOW: "a slow-down",
    PlanRevision.Kind.RETURN: "a return to the previous dose",
    PlanRevision.Kind.EDIT: "an edit",
}


def _stale_draft_message(in_force: PlanRevision) -> str:
    who = in_force.signed_by.display_name() if in_force.signed_by else "someone"
    when = (
        timezone.localtime(in_force.signed_at).strftime("%d %b %Y %H:%M")
        if in_force.signed_at
        else ""
    )
    return (
        f"{KIND_WORDS.get(in_force.kind, 'a change').capitalize()} was recorded since this draft "
        f"was made (revision {in_force.number}, signed by {who} {when}): rebuild the draft "
        "from the plan in force."
    )


def _check_draft_base(plan: TaperPlan, draft: PlanRevision) -> None:
    """A draft is signed only on the revision it was built from: that must still be in force."""
    if plan.status in (TaperPlan.Status.SUPERSEDED, TaperPlan.Status.ABANDONED):
        raise PlanConflict(
            {"plan": [f"Plan #{plan.pk} is no longer open ({plan.get_status_display()})."]},
            plan=plan,
        )
    in_force = PlanRevision.objects.filter(plan=plan).in_force().first()
    if (in_force.pk if in_force else None) != draft.previous_id:
        raise PlanConflict(
            {
                "revision": [
                    _stale_draft_message(in_force)
                    if in_force
                    else "This draft's base "
                    "revision is not in force; rebuild it from the plan in force."
                ]
            },
            plan=plan,
            revision=in_force,
        )


def _put_in_force(plan: TaperPlan, first_revision: PlanRevision, user: User) -> None:
    """A plan's first signature: it comes into force, and a plan it supersedes ends the day
    before it starts (both changes are kept in the plans' histories)."""
    others = (
        TaperPlan.objects.select_for_update()
        .filter(patient_id=plan.patient_id, status=TaperPlan.Status.ACTIVE)
        .exclude(pk=plan.pk)
    )
    for other in others:
        if other.pk != plan.supersedes_id:
            raise PlanConflict(
                {
                    "plan": [
                        f"{_in_force_text(other)} came into force for this patient after this "
                        "draft was made. Start again from the plan in force."
                    ]
                },
                plan=other,
            )
        other.status = TaperPlan.Status.SUPERSEDED
        other.ended_on = first_revision.start_date - datetime.timedelta(days=1)
        other._history_user = user  # type: ignore[attr-defined]
        other.save(update_fields=["status", "ended_on"])
    plan.status = TaperPlan.Status.ACTIVE
    plan._history_user = user  # type: ignore[attr-defined]
    plan.save(update_fields=["status"])


def _mark_signed(revision: PlanRevision, user: User) -> None:
    revision.status = PlanRevision.Status.SIGNED
    revision.signed_by = user
    revision.signed_at = timezone.now()
    revision._history_user = user  # type: ignore[attr-defined]
    revision.save()


@transaction.atomic
def revision_sign(
    *,
    revision: PlanRevision,
    user: User,
    confirm: bool,
    overrides: Sequence[OverrideInput] = (),
) -> PlanRevision:
    """Sign a draft: it becomes immutable and the patient's PDF is queued after commit.

    1. Only a prescriber of the patient's clinic signs, and only with an explicit confirmation.
    2. The draft is signed only on the revision it was built from: if another revision (a hold a
       nurse recorded, say) was signed since, :class:`PlanConflict` says so and nothing changes.
    3. Every violation needs an override with a reason (given now or stored on the draft).
    4. The revision is marked signed with who and when; a plan's first signature puts it in force
       (ending a plan it supersedes); the PDF task is queued on commit.
    """
    _require_role(user, User.Role.PRESCRIBER)
    plan = TaperPlan.objects.select_for_update().select_related("patient").get(pk=revision.plan_id)
    revision = PlanRevision.objects.select_for_update().get(pk=revision.pk)
    if plan.patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Another clinic's plan.")
    if revision.status != PlanRevision.Status.DRAFT:
        raise PlanError({"revision": ["This revision is already signed or discarded."]})
    if confirm is not True:
        raise PlanError({"confirm": ["Confirm that you have reviewed every step before signing."]})
    _check_draft_base(plan, revision)
    new_overrides = _check_overrides(overrides)
    _check_overrides_match(new_overrides, revision.violations)
    _record_overrides(revision, new_overrides, user)
    covered = set(revision.overrides.values_list("rule", "step"))
    missing = [v for v in revision.violations if (v["rule"], v.get("step")) not in covered]
    if missing:
        raise PlanError(
            {
                "overrides": [
                    f"Step {v.get('step')}: {v['message']} Give a reason to override "
                    f"this rule, or change the plan."
                    for v in missing
                ]
            }
        )
    if plan.status == TaperPlan.Status.DRAFT:
        _put_in_force(plan, revision, user)
    _mark_signed(revision, user)
    documents.enqueue_render(revision.pk)
    return revision


def _in_force_today(plan: TaperPlan, today: datetime.date) -> tuple[PlanRevision, PlanStep]:
    """The revision in force (a hold signed a minute ago included) and the step the patient is
    on today: the first step when the plan has not started yet."""
    in_force = PlanRevision.objects.filter(plan=plan).in_force().first()
    if in_force is None:
        raise PlanError({"plan": ["Only a signed plan in force can be changed; sign it first."]})
    steps = list(in_force.steps.order_by("index"))
    step = selectors.step_in_progress(steps, today)
    if step is None and today < steps[0].start_date:
        step = steps[0]
    if step is None:
        raise PlanError({"plan": ["This plan has no step in progress today; it has ended."]})
    return in_force, step


def _check_days(days: int) -> int:
    if not 1 <= days <= MAX_HOLD_DAYS:
        raise PlanError({"days": [f"A hold lasts 1 to {MAX_HOLD_DAYS} days."]})
    return days


def _check_reason(value: str, field: str = "reason") -> str:
    if len(value.strip()) < 3:
        raise PlanError({field: ["Say why, so the team can see it in the history."]})
    if len(value.strip()) > MAX_REASON_LENGTH:
        raise PlanError({field: [TOO_LONG]})
    return value.strip()


def _lock_plan(plan: TaperPlan, user: User) -> TaperPlan:
    if plan.patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Another clinic's plan.")
    return TaperPlan.objects.select_for_update().select_related("patient__clinic").get(pk=plan.pk)


def hold_needs_cosign(plan: TaperPlan, user: User) -> bool:
    """The clinic's policy for a hold ``user`` records on ``plan``: a nurse's hold waits for a
    prescriber's signature when the clinic asks for it (``Clinic.hold_needs_cosign``)."""
    return bool(plan.patient.clinic.hold_needs_cosign) and not user.is_prescriber


@transaction.atomic
def plan_hold(
    *,
    plan: TaperPlan,
    user: User,
    days: int,
    reason: str,
    today: datetime.date | None = None,
    cosign: bool = False,
) -> PlanRevision:
    """Hold the current step for ``days`` more days: later steps shift by as much.

    ``cosign`` (the clinic's policy for this user: :func:`hold_needs_cosign`) stores the hold as
    a draft for a prescriber to sign instead of signing it at once; a plan has at most one open
    draft, so an open draft refuses it (:class:`PlanConflict`).

    A hold never lowers a dose, so the new revision is signed at once by the nurse or
    prescriber who records it; it takes effect today and the steps before today are as they
    were. The engine rebuilds the revision in force from its request with the hold added, so the
    guardrails are checked again. If the rebuilt plan breaks a guardrail that no override of the
    revision in force covers, the hold stays a draft for a prescriber; an open draft it would
    sit beside is discarded (with a history row naming the hold), since the hold is newer.
    """
    _require_role(user, User.Role.PRESCRIBER, User.Role.NURSE)
    days_value = _check_days(days)
    reason_text = _check_reason(reason)
    plan = _lock_plan(plan, user)
    today = today or clinic_today(plan)
    current, step = _in_force_today(plan, today)
    existing_draft = selectors.open_draft(plan)
    if cosign and existing_draft is not None:
        raise PlanConflict(
            {
                "draft": [
                    f"Revision {existing_draft.number} "
                    f"({existing_draft.get_kind_display().lower()}) is already an open draft of "
                    "this plan. A prescriber signs or discards it before a hold can be recorded."
                ]
            },
            plan=plan,
            revision=existing_draft,
        )
    holds_before = current.steps.filter(index__lt=step.index, phase=PlanStep.Phase.HOLD).count()
    base_index = step.index - holds_before - (1 if step.phase == PlanStep.Phase.HOLD else 0)
    request_data = dict(current.request)
    request_data["holds"] = [
        *request_data.get("holds", []),
        {"step": base_index, "days": days_value},
    ]
    output = plan_preview(request_data)

    # Overrides recorded for the revision in force still stand for the same violations; the
    # inserted hold step moves every later step one place down.
    def shifted(step_index: int | None) -> int | None:
        return step_index + 1 if step_index is not None and step_index > step.index else step_index

    new_keys = _violation_keys(output["violations"])
    carried = [
        {"rule": o.rule, "step": shifted(o.step), "reason": o.reason}
        for o in current.overrides.all()
        if (o.rule, shifted(o.step)) in new_keys
    ]
    needs_review = cosign or bool(new_keys - {(o["rule"], o["step"]) for o in carried})
    if needs_review and existing_draft is not None:
        _discard(
            existing_draft, user, reason="Replaced by a hold that needs a prescriber's review."
        )
    revision = _store_revision(
        plan=plan,
        kind=PlanRevision.Kind.HOLD,
        reason=reason_text,
        previous=current,
        request_data=request_data,
        output=output,
        user=user,
        effective_from=today,
        signed=not needs_review,
    )
    # Rows of a revision signed at creation: written in bulk (as its steps are), with history.
    bulk_create_with_history(
        [Override(revision=revision, created_by=user, **item) for item in carried],
        Override,
        default_user=user,
    )
    if needs_review:
        return revision  # a draft: a prescriber must co-sign it or review the new violation
    documents.enqueue_render(revision.pk)
    return revision


def _regimen_from_step(step: PlanStep) -> list[dict[str, Any]]:
    by_drug: dict[str, dict[str, str]] = {}
    for dose in step.doses.select_related("drug").order_by("slot_order"):
        by_drug.setdefault(dose.drug.slug, {})[dose.slot] = format(dose.mg.normalize(), "f")
    return [{"drug": drug, "doses": doses} for drug, doses in by_drug.items()]


SLOW_FIELDS = (
    "strategy",
    "reduction_percent",
    "step_mg",
    "interval_days",
    "target_mg",
    "band_profile",
    "max_reduction_percent",
    "stop_threshold_mg",
)


def _start_revision(
    plan: TaperPlan, user: User, reason: str, today: datetime.date | None, replace_draft: bool
) -> tuple[TaperPlan, PlanRevision, PlanStep, str, datetime.date]:
    """Checks shared by the prescriber's revisions (slow down, return): role, clinic, reason, the
    revision in force today and its step, and at most one open draft: an open draft is replaced
    only when asked (it is discarded with a history row); otherwise :class:`PlanConflict`."""
    _require_role(user, User.Role.PRESCRIBER)
    reason_text = _check_reason(reason)
    plan = _lock_plan(plan, user)
    today = today or clinic_today(plan)
    current, step = _in_force_today(plan, today)
    if not step.doses.exists():
        raise PlanError({"plan": ["The current step has no doses to start from."]})
    draft = selectors.open_draft(plan)
    if draft is not None:
        if not replace_draft:
            raise PlanConflict(
                {
                    "draft": [
                        f"Revision {draft.number} ({draft.get_kind_display().lower()}) is already "
                        "an open draft of this plan. Open it, or replace it with this change."
                    ]
                },
                plan=plan,
                revision=draft,
            )
        _discard(draft, user, reason="Replaced by a newer draft.")
    return plan, current, step, reason_text, today


def _request_from_today(
    current: PlanRevision, step: PlanStep, today: datetime.date, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """The revision in force's request, restarted today from ``step``'s doses."""
    regimen = _regimen_from_step(step)
    request_data: dict[str, Any] = {
        key: value for key, value in current.request.items() if key not in ("edits", "holds")
    }
    request_data.update(changes)
    request_data.update(
        regimen=regimen,
        start_date=today.isoformat(),
        switch_to_diazepam=any(item["drug"] != "diazepam" for item in regimen)
        and bool(current.request.get("switch_to_diazepam")),
    )
    return request_data


def _dose_kept_until(revision: PlanRevision, step: PlanStep) -> datetime.date:
    """The last day of today's dose in ``revision``: the end of today's step and of the steps
    right after it at the same dose (a hold after today's step, say)."""
    until = step.end_date
    for later in revision.steps.filter(index__gt=step.index).order_by("index"):
        if later.equivalent_mg != step.equivalent_mg or later.phase == PlanStep.Phase.STOP:
            break
        until = later.end_date
    return until


def _previous_higher_step(revision: PlanRevision, step: PlanStep) -> PlanStep | None:
    """The last step the patient took at a higher dose than ``step`` (today's), looking back
    through the revisions in force before ``revision`` when it started from today's dose."""
    before = step.start_date
    current: PlanRevision | None = revision
    while current is not None:
        earlier = (
            current.steps.filter(start_date__lt=before, equivalent_mg__gt=step.equivalent_mg)
            .order_by("-index")
            .first()
        )
        if earlier is not None:
            return earlier
        before = min(before, current.effective_from)
        current = current.previous
    return None


def _keep_dose_until(
    request_data: dict[str, Any], dose_mg: Decimal, until: datetime.date
) -> dict[str, Any]:
    """Build ``request_data``, holding its first cut below ``dose_mg`` until after ``until``.

    A revision made today never cuts earlier than the revision in force would have: the dose in
    force today (a hold's dose included) is kept to the end of today's step. The engine's own
    ``holds`` lengthen the last step before the first cut, so the guardrails see it.
    """
    output = plan_preview(request_data)
    steps = output["steps"]
    first_cut = next(
        (i for i, s in enumerate(steps) if Decimal(s["equivalent_mg"]) < dose_mg), None
    )
    if first_cut is None or first_cut == 0:
        return output
    cut_on = datetime.date.fromisoformat(steps[first_cut]["start_date"])
    gap = (until - cut_on).days + 1
    if gap <= 0:
        return output
    request_data["holds"] = [{"step": steps[first_cut - 1]["index"], "days": gap}]
    return plan_preview(request_data)


@transaction.atomic
def plan_slow(
    *,
    plan: TaperPlan,
    user: User,
    data: Mapping[str, Any],
    reason: str,
    today: datetime.date | None = None,
    replace_draft: bool = False,
) -> PlanRevision:
    """Slow down: a new strategy from today's dose. Returns a draft for the prescriber to sign.

    It starts from the revision in force today (a hold signed a minute ago included): the
    regimen is today's step's doses, kept at least to the end of today's step; the past stays as
    it happened in earlier revisions.
    """
    plan, current, step, reason_text, today = _start_revision(
        plan, user, reason, today, replace_draft
    )
    changes = {key: data[key] for key in SLOW_FIELDS if key in data}
    request_data = _request_from_today(current, step, today, changes)
    output = _keep_dose_until(request_data, step.equivalent_mg, _dose_kept_until(current, step))
    return _store_revision(
        plan=plan,
        kind=PlanRevision.Kind.SLOW,
        reason=reason_text,
        previous=current,
        request_data=request_data,
        output=output,
        user=user,
        effective_from=today,
    )


RETURN_WARNING = {
    "rule": "return-to-previous-dose",
    "step": 1,
    "message": "This plan goes back up to the previous step's dose. The guideline allows it but "
    "calls it less common than holding or slowing; record why.",
    "source": "ASAM 2025 patient guide",
}


@transaction.atomic
def plan_return_to_previous(
    *,
    plan: TaperPlan,
    user: User,
    reason: str,
    today: datetime.date | None = None,
    replace_draft: bool = False,
) -> PlanRevision:
    """Go back to the previous step's dose from today, then continue with the same strategy.

    Allowed but flagged (ASAM patient guide: a temporary return is "less common"). Returns a
    draft with a ``return-to-previous-dose`` warning for the prescriber to sign. It starts from
    the revision in force today, so "previous" is the last higher dose of that revision.
    """
    plan, current, step, reason_text, today = _start_revision(
        plan, user, reason, today, replace_draft
    )
    earlier = _previous_higher_step(current, step)
    if earlier is None:
        raise PlanError({"plan": ["There is no earlier, higher dose to return to."]})
    request_data = _request_from_today(current, earlier, today, {})
    output = plan_preview(request_data)
    output["warnings"] = [RETURN_WARNING, *output["warnings"]]
    return _store_revision(
        plan=plan,
        kind=PlanRevision.Kind.RETURN,
        reason=reason_text,
        previous=current,
        request_data=request_data,
        output=output,
        user=user,
        effective_from=today,
    )


def _discard(revision: PlanRevision, user: User, *, reason: str) -> None:
    revision.status = PlanRevision.Status.DISCARDED
    revision.discarded_by = user
    revision.discarded_at = timezone.now()
    revision.discard_reason = reason[:300]
    revision._history_user = user  # type: ignore[attr-defined]
    revision.save()
    plan = revision.plan
    if (
        plan.status == TaperPlan.Status.DRAFT
        and not PlanRevision.objects.filter(plan=plan)
        .exclude(status=PlanRevision.Status.DISCARDED)
        .exists()
    ):
        plan.status = TaperPlan.Status.ABANDONED
        plan._history_user = user  # type: ignore[attr-defined]
        plan.save(update_fields=["status"])


@transaction.atomic
def draft_discard(*, revision: PlanRevision, user: User, reason: str = "") -> None:
    """Abandon a draft. It is kept (as discarded, with who, when and why) so the history shows
    it existed; a plan whose only draft is discarded is abandoned, so a new one can be made."""
    _require_role(user, User.Role.PRESCRIBER)
    revision = (
        PlanRevision.objects.select_for_update().select_related("plan__patient").get(pk=revision.pk)
    )
    if revision.plan.patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Another clinic's plan.")
    if revision.status != PlanRevision.Status.DRAFT:
        raise PlanError({"revision": ["Only a draft can be discarded."]})
    limit = min(MAX_REASON_LENGTH, DISCARD_REASON_LENGTH)
    if len(reason.strip()) > limit:
        raise PlanError({"reason": [f"Keep the reason under {limit} characters."]})
    _discard(revision, user, reason=reason.strip() or "Discarded by the prescriber.")

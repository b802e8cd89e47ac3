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
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalogue.labels import ProductLabel
from catalogue.models import Drug
from patients.models import Patient
from schedules import engine
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


class PlanError(Exception):
    """Bad input for a plan action: ``errors`` maps a field to its messages."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors = {key: list(messages) for key, messages in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


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


def plan_preview(data: Mapping[str, Any]) -> dict[str, Any]:
    """Build the plan the engine would make for ``data`` (the preview API body). Writes nothing."""
    try:
        request = engine.parse_plan_request(data, reference())
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
    """The part of a request body the engine reads (overrides and confirmation are ours)."""
    return {key: value for key, value in data.items() if key not in {"overrides", "confirm"}}


def _parse_overrides(raw: Any) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise PlanError({"overrides": ["Give overrides as a list of {rule, step, reason}."]})
    parsed, errors = [], {}
    for position, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("rule"), str):
            errors[f"overrides.{position}"] = ["Each override needs a rule, a step and a reason."]
            continue
        step = item.get("step")
        if step is not None and (isinstance(step, bool) or not isinstance(step, int)):
            errors[f"overrides.{position}.step"] = ["Step must be a step number or null."]
            continue
        reason = item.get("reason")
        if not isinstance(reason, str) or len(reason.strip()) < 5:
            errors[f"overrides.{position}.reason"] = [
                "Give the clinical reason for overriding this rule (at least 5 characters)."
            ]
            continue
        parsed.append({"rule": item["rule"], "step": step, "reason": reason.strip()})
    if errors:
        raise PlanError(errors)
    return parsed


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
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(plan.patient.clinic.time_zone))


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
) -> PlanRevision:
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


@transaction.atomic
def plan_create(*, patient: Patient, user: User, data: Mapping[str, Any]) -> PlanRevision:
    """Start a plan for ``patient`` from a preview body (plus optional ``overrides``).

    Returns the first revision, a draft. Overrides given now are stored with it and must each
    match a violation of the built plan; signing needs one for every violation.
    """
    _require_role(user, User.Role.PRESCRIBER)
    if patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Another clinic's patient.")
    overrides = _parse_overrides(data.get("overrides"))
    request_data = _engine_request(data)
    output = plan_preview(request_data)
    _check_overrides_match(overrides, output["violations"])
    plan = TaperPlan.objects.create(patient=patient, created_by=user)
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
    _record_overrides(revision, overrides, user)
    return revision


@transaction.atomic
def draft_update(*, revision: PlanRevision, user: User, data: Mapping[str, Any]) -> PlanRevision:
    """Replace a draft's content with a new build (the builder's "save draft")."""
    _require_role(user, User.Role.PRESCRIBER)
    revision = PlanRevision.objects.select_for_update().get(pk=revision.pk)
    if revision.status != PlanRevision.Status.DRAFT:
        raise PlanError({"revision": ["Only a draft can be changed; this one is signed."]})
    overrides = _parse_overrides(data.get("overrides"))
    request_data = _engine_request(data)
    output = plan_preview(request_data)
    _check_overrides_match(overrides, output["violations"])
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
    _record_overrides(new, overrides, user)
    return new


@transaction.atomic
def revision_sign(
    *,
    revision: PlanRevision,
    user: User,
    confirm: bool,
    overrides: Any = None,
) -> PlanRevision:
    """Sign a draft: it becomes immutable and the patient's PDF is queued after commit.

    1. Only a prescriber of the patient's clinic signs, and only with an explicit confirmation.
    2. Every violation needs an override with a reason (given now or stored on the draft).
    3. The revision is marked signed with who and when; the PDF task is queued on commit.
    """
    _require_role(user, User.Role.PRESCRIBER)
    revision = (
        PlanRevision.objects.select_for_update().select_related("plan__patient").get(pk=revision.pk)
    )
    if revision.plan.patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Another clinic's plan.")
    if revision.status != PlanRevision.Status.DRAFT:
        raise PlanError({"revision": ["This revision is already signed or discarded."]})
    if confirm is not True:
        raise PlanError({"confirm": ["Confirm that you have reviewed every step before signing."]})
    new_overrides = _parse_overrides(overrides)
    _check_overrides_match(new_overrides, revision.violations)
    _record_overrides(revision, new_overrides, user)
    covered = set(revision.overrides.values_list("rule", "step"))
    missing = [v for v in revision.violations if (v["rule"], v.get("step")) not in covered]
    if missing:
        raise PlanError(
            {
                "overrides": [
                    f"Step {v.get('step')}: {v['message']} Give a reason to override "
                    f"{v['rule']}, or change the plan."
                    for v in missing
                ]
            }
        )
    revision.status = PlanRevision.Status.SIGNED
    revision.signed_by = user
    revision.signed_at = timezone.now()
    revision.save()
    PlanRevision.objects.filter(plan=revision.plan, status=PlanRevision.Status.DRAFT).exclude(
        pk=revision.pk
    ).update(status=PlanRevision.Status.DISCARDED)
    documents.enqueue_render(revision.pk)
    return revision


def current_revision(plan: TaperPlan) -> PlanRevision | None:
    """The newest signed revision: the one in force."""
    return plan.revisions.filter(status=PlanRevision.Status.SIGNED).order_by("-number").first()


def _current_step(revision: PlanRevision, today: datetime.date) -> PlanStep:
    steps = list(revision.steps.order_by("index"))
    for step in steps:
        if step.start_date <= today <= step.end_date and step.phase != PlanStep.Phase.STOP:
            return step
    if today < steps[0].start_date:
        return steps[0]
    raise PlanError({"plan": ["This plan has no step in progress today; it has ended."]})


def _parse_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PlanError({"days": ["Give the number of days to hold, a whole number."]})
    try:
        days = int(value)
    except ValueError as exc:
        raise PlanError({"days": ["Give the number of days to hold, a whole number."]}) from exc
    if not 1 <= days <= MAX_HOLD_DAYS:
        raise PlanError({"days": [f"A hold lasts 1 to {MAX_HOLD_DAYS} days."]})
    return days


def _parse_reason(value: Any, field: str = "reason") -> str:
    if not isinstance(value, str) or len(value.strip()) < 3:
        raise PlanError({field: ["Say why, so the team can see it in the history."]})
    return value.strip()


@transaction.atomic
def plan_hold(
    *,
    plan: TaperPlan,
    user: User,
    days: Any,
    reason: Any,
    today: datetime.date | None = None,
) -> PlanRevision:
    """Hold the current step for ``days`` more days: later steps shift by as much.

    A hold never lowers a dose, so the new revision is signed at once by the nurse or
    prescriber who records it; it takes effect today and the steps before today are as they
    were. The engine rebuilds the plan from the same request with the hold added, so the
    guardrails are checked again.
    """
    _require_role(user, User.Role.PRESCRIBER, User.Role.NURSE)
    if plan.patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Another clinic's plan.")
    days_value = _parse_days(days)
    reason_text = _parse_reason(reason)
    today = today or clinic_today(plan)
    TaperPlan.objects.select_for_update().filter(pk=plan.pk).first()
    current = current_revision(plan)
    if current is None:
        raise PlanError({"plan": ["Only a signed plan can be held; sign the draft first."]})
    step = _current_step(current, today)
    holds_before = current.steps.filter(index__lt=step.index, phase=PlanStep.Phase.HOLD).count()
    base_index = step.index - holds_before - (1 if step.phase == PlanStep.Phase.HOLD else 0)
    request_data = dict(current.request)
    request_data["holds"] = [
        *request_data.get("holds", []),
        {"step": base_index, "days": days_value},
    ]
    output = plan_preview(request_data)
    revision = _store_revision(
        plan=plan,
        kind=PlanRevision.Kind.HOLD,
        reason=reason_text,
        previous=current,
        request_data=request_data,
        output=output,
        user=user,
        effective_from=today,
    )

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
    _record_overrides(revision, carried, user)
    covered = set(revision.overrides.values_list("rule", "step"))
    if any((v["rule"], v.get("step")) not in covered for v in output["violations"]):
        return revision  # stays a draft: a prescriber must review the new violation
    revision.status = PlanRevision.Status.SIGNED
    revision.signed_by = user
    revision.signed_at = timezone.now()
    revision.save()
    documents.enqueue_render(revision.pk)
    return revision


def _regimen_from_step(step: PlanStep) -> list[dict[str, Any]]:
    by_drug: dict[str, dict[str, str]] = {}
    for dose in step.doses.select_related("drug").order_by("slot_order"):
        by_drug.setdefault(dose.drug.slug, {})[dose.slot] = format(dose.mg.normalize(), "f")
    return [{"drug": drug, "doses": doses} for drug, doses in by_drug.items()]


def _dosing_step(revision: PlanRevision, today: datetime.date) -> PlanStep:
    step = _current_step(revision, today)
    if not step.doses.exists():
        raise PlanError({"plan": ["The current step has no doses to start from."]})
    return step


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


def _revision_in_force(
    plan: TaperPlan, user: User, reason: Any, today: datetime.date | None
) -> tuple[PlanRevision, str, datetime.date]:
    """Checks shared by the prescriber's revisions: role, clinic, reason, a signed plan."""
    _require_role(user, User.Role.PRESCRIBER)
    if plan.patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Another clinic's plan.")
    reason_text = _parse_reason(reason)
    current = current_revision(plan)
    if current is None:
        raise PlanError({"plan": ["Only a signed plan can be revised; sign the draft first."]})
    return current, reason_text, today or clinic_today(plan)


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


@transaction.atomic
def plan_slow(
    *,
    plan: TaperPlan,
    user: User,
    data: Mapping[str, Any],
    reason: Any,
    today: datetime.date | None = None,
) -> PlanRevision:
    """Slow down: a new strategy from today's dose. Returns a draft for the prescriber to sign.

    The regimen is the current step's doses; the past stays as it happened in earlier revisions.
    """
    current, reason_text, today = _revision_in_force(plan, user, reason, today)
    step = _dosing_step(current, today)
    changes = {key: data[key] for key in SLOW_FIELDS if key in data}
    request_data = _request_from_today(current, step, today, changes)
    return _store_revision(
        plan=plan,
        kind=PlanRevision.Kind.SLOW,
        reason=reason_text,
        previous=current,
        request_data=request_data,
        output=plan_preview(request_data),
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
    reason: Any,
    today: datetime.date | None = None,
) -> PlanRevision:
    """Go back to the previous step's dose from today, then continue with the same strategy.

    Allowed but flagged (ASAM patient guide: a temporary return is "less common"). Returns a
    draft with a ``return-to-previous-dose`` warning for the prescriber to sign.
    """
    current, reason_text, today = _revision_in_force(plan, user, reason, today)
    step = _dosing_step(current, today)
    earlier = (
        current.steps.filter(index__lt=step.index, equivalent_mg__gt=step.equivalent_mg)
        .order_by("-index")
        .first()
    )
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


@transaction.atomic
def draft_discard(*, revision: PlanRevision, user: User) -> None:
    """Abandon a draft. It is kept (as discarded) so the history shows it existed."""
    _require_role(user, User.Role.PRESCRIBER)
    revision = (
        PlanRevision.objects.select_for_update().select_related("plan__patient").get(pk=revision.pk)
    )
    if revision.plan.patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Another clinic's plan.")
    if revision.status != PlanRevision.Status.DRAFT:
        raise PlanError({"revision": ["Only a draft can be discarded."]})
    revision.status = PlanRevision.Status.DISCARDED
    revision.save()

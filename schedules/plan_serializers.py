"""JSON shapes of plans and revisions (DESIGN.md, public API v1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from schedules.models import PlanRevision, PlanStep
from schedules.selectors import PlanState


def mg(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def step_dict(step: PlanStep) -> dict[str, Any]:
    return {
        "index": step.index,
        "start_date": step.start_date.isoformat(),
        "end_date": step.end_date.isoformat(),
        "days": step.days,
        "equivalent_mg": mg(step.equivalent_mg),
        "reduction_percent": mg(step.reduction_percent),
        "phase": step.phase,
        "doses": [
            {"slot": d.slot, "drug": d.drug.slug, "mg": mg(d.mg), "units": d.units}
            for d in step.doses.all()
        ],
    }


def revision_summary(revision: PlanRevision) -> dict[str, Any]:
    return {
        "id": revision.pk,
        "number": revision.number,
        "status": revision.status,
        "kind": revision.kind,
        "reason": revision.reason,
        "effective_from": revision.effective_from.isoformat(),
        "created_by": revision.created_by.display_name(),
        "created_at": revision.created_at.isoformat(),
        "signed_by": revision.signed_by.display_name() if revision.signed_by else None,
        "signed_at": revision.signed_at.isoformat() if revision.signed_at else None,
        "based_on": revision.previous_id,
        "discarded_by": revision.discarded_by.display_name() if revision.discarded_by else None,
        "discarded_at": revision.discarded_at.isoformat() if revision.discarded_at else None,
        "discard_reason": revision.discard_reason,
        "overrides": [
            {"rule": o.rule, "step": o.step, "reason": o.reason} for o in revision.overrides.all()
        ],
    }


def revision_dict(revision: PlanRevision) -> dict[str, Any]:
    return {
        **revision_summary(revision),
        "algorithm_version": revision.algorithm_version,
        "equivalence_source": revision.equivalence_source,
        "country": revision.country,
        "start_date": revision.start_date.isoformat(),
        "end_date": revision.end_date.isoformat(),
        "start_equivalent_mg": mg(revision.start_equivalent_mg),
        "target_mg": mg(revision.target_mg),
        "total_days": revision.total_days,
        "equivalence": revision.equivalence,
        "violations": revision.violations,
        "warnings": revision.warnings,
        "request": revision.request,
        "steps": [step_dict(step) for step in revision.steps.all()],
    }


def plan_dict(state: PlanState, revisions: list[PlanRevision]) -> dict[str, Any]:
    """A plan as the API shows it (DESIGN.md): ``in_force`` (the signed revision in force today,
    with steps), ``draft`` (the open draft, or null), status, and the revision history."""
    plan = state.plan
    return {
        "id": plan.pk,
        "patient": plan.patient_id,
        "status": plan.status,
        "supersedes": plan.supersedes_id,
        "superseded_by": [p.pk for p in plan.superseded_by.all()],
        "ended_on": plan.ended_on.isoformat() if plan.ended_on else None,
        "today": state.today.isoformat(),
        "today_step": state.today_step.index if state.today_step else None,
        "in_force": revision_dict(state.in_force) if state.in_force else None,
        "draft": revision_dict(state.draft) if state.draft else None,
        "draft_is_stale": state.draft_is_stale,
        "revisions": [revision_summary(r) for r in revisions],
    }

"""JSON shapes of plans and revisions (DESIGN.md, public API v1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from schedules.models import PlanRevision, PlanStep, TaperPlan


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


def plan_dict(plan: TaperPlan, revisions: list[PlanRevision]) -> dict[str, Any]:
    signed = [r for r in revisions if r.status == PlanRevision.Status.SIGNED]
    drafts = [r for r in revisions if r.status == PlanRevision.Status.DRAFT]
    current = signed[-1] if signed else None
    draft = drafts[-1] if drafts else None
    return {
        "id": plan.pk,
        "patient": plan.patient_id,
        "status": "signed" if current else "draft",
        "current_revision": revision_dict(current) if current else None,
        "draft_revision": revision_dict(draft) if draft else None,
        "revisions": [revision_summary(r) for r in revisions],
    }

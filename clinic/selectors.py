"""Reads that combine apps: where each patient is in their taper."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, DateTimeField, OuterRef, QuerySet, Subquery, Value

from accounts.clinic_time import clinic_today
from accounts.scoping import for_clinic
from checkins import selectors as checkin_selectors
from patients.models import Patient
from patients.selectors import patient_list
from schedules.models import PlanRevision, PlanStep, TaperPlan


def patient_list_with_progress(
    *, user: Any, query: str = "", today: datetime.date | None = None
) -> QuerySet[Patient]:
    """:func:`patient_list` annotated with where each patient is in their taper, in ONE query.

    Per patient: ``current_revision_id`` (the revision in force, by the one definition in
    ``PlanRevision.objects.in_force()``), ``step_total`` (steps in it),
    ``step_index``/``step_mg``/``step_end`` (the step in progress ``today``, the clinic's date;
    empty before the start or after the end), ``plan_start`` (the day the plan in force started:
    its first revision's start, not its signing date) and ``plan_end``, ``draft_plan_id`` (a plan
    not signed yet) and ``latest_checkin`` (always empty until check-ins exist).
    """
    today = today or clinic_today(user.clinic)
    in_force = PlanRevision.objects.in_force().filter(plan__patient=OuterRef("pk"))
    first_signed = PlanRevision.objects.signed().filter(
        plan_id=OuterRef("current_plan_id"), previous__isnull=True
    )
    in_progress = PlanStep.objects.filter(
        revision_id=OuterRef("current_revision_id"),
        start_date__lte=today,
        end_date__gte=today,
    ).exclude(phase=PlanStep.Phase.STOP)
    step_total = (
        PlanStep.objects.filter(revision_id=OuterRef("current_revision_id"))
        .order_by()
        .values("revision_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    unsigned = TaperPlan.objects.filter(patient=OuterRef("pk"), status=TaperPlan.Status.DRAFT)
    return (
        patient_list(user=user, query=query)
        .annotate(
            current_revision_id=Subquery(in_force.values("pk")[:1]),
            current_plan_id=Subquery(in_force.values("plan_id")[:1]),
        )
        .annotate(
            plan_start=Subquery(first_signed.values("start_date")[:1]),
            plan_end=Subquery(in_force.values("end_date")[:1]),
            step_total=Subquery(step_total[:1]),
            step_index=Subquery(in_progress.values("index")[:1]),
            step_mg=Subquery(in_progress.values("equivalent_mg")[:1]),
            step_end=Subquery(in_progress.values("end_date")[:1]),
            draft_plan_id=Subquery(unsigned.values("pk")[:1]),
            latest_checkin=Value(None, output_field=DateTimeField()),
        )
    )


def worklist(*, user: Any, today: datetime.date | None = None) -> dict[str, Any]:
    """The dashboard's worklist: drafts to sign, slow-down requests and escalations, red-flag
    alerts, and dose changes due in the next seven days. A constant number of queries."""
    today = today or clinic_today(user.clinic)
    drafts = (
        for_clinic(PlanRevision.objects.drafts(), user)
        .select_related("plan__patient", "created_by")
        .order_by("created_at")
    )
    in_force = PlanRevision.objects.in_force().values("pk")
    changes = (
        PlanStep.objects.filter(
            revision__plan__patient__clinic_id=user.clinic_id,
            revision__in=in_force,
            index__gt=1,
            start_date__gte=today,
            start_date__lte=today + datetime.timedelta(days=7),
        )
        .select_related("revision__plan__patient")
        .order_by("start_date", "pk")
    )
    return {
        "drafts": list(drafts[:50]),
        "requests": list(checkin_selectors.open_requests(user)[:50]),
        "alerts": list(checkin_selectors.urgent_alerts(user)[:50]),
        "dose_changes": list(changes[:50]),
    }

"""Reads that combine apps: where each patient is in their taper."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, DateTimeField, OuterRef, QuerySet, Subquery, Value
from django.utils import timezone

from patients.models import Patient
from patients.selectors import patient_list
from schedules.models import PlanRevision, PlanStep


def patient_list_with_progress(
    *, user: Any, query: str = "", today: datetime.date | None = None
) -> QuerySet[Patient]:
    """:func:`patient_list` annotated with where each patient is in their taper, in ONE query.

    Per patient: ``current_revision_id`` (newest signed revision of the newest plan that has
    one), ``step_total`` (steps in it), ``step_index``/``step_mg``/``step_end`` (the step in
    progress ``today``; empty before the start or after the end), ``plan_start``/``plan_end``,
    ``draft_plan_id`` (a plan with no signed revision yet) and ``latest_checkin`` (always
    empty until check-ins exist).
    """
    today = today or timezone.localdate()
    signed = PlanRevision.objects.filter(
        plan__patient=OuterRef("pk"), status=PlanRevision.Status.SIGNED
    ).order_by("-plan__created_at", "-plan__pk", "-number")
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
    drafts = PlanRevision.objects.filter(
        plan__patient=OuterRef("pk"), status=PlanRevision.Status.DRAFT
    ).order_by("-plan__created_at", "-number")
    return (
        patient_list(user=user, query=query)
        .annotate(current_revision_id=Subquery(signed.values("pk")[:1]))
        .annotate(
            current_plan_id=Subquery(signed.values("plan_id")[:1]),
            plan_start=Subquery(signed.values("start_date")[:1]),
            plan_end=Subquery(signed.values("end_date")[:1]),
            step_total=Subquery(step_total[:1]),
            step_index=Subquery(in_progress.values("index")[:1]),
            step_mg=Subquery(in_progress.values("equivalent_mg")[:1]),
            step_end=Subquery(in_progress.values("end_date")[:1]),
            draft_plan_id=Subquery(drafts.values("plan_id")[:1]),
            latest_checkin=Value(None, output_field=DateTimeField()),
        )
    )

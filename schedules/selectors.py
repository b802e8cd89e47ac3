"""Reads for the schedules app: the querysets views, the API and tasks use."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from schedules.models import (
    Drug,
    EquivalenceFigure,
    PlanRevision,
    PlanStep,
    Product,
    StepDose,
    TaperPlan,
)

COUNTRIES = ("GB", "US")


def drug_list() -> QuerySet[Drug]:
    figures = EquivalenceFigure.objects.select_related("source").order_by("source__key")
    return Drug.objects.select_related("half_life_source").prefetch_related(
        Prefetch("equivalents", queryset=figures)
    )


def product_list(*, country: str | None = None) -> QuerySet[Product]:
    qs = Product.objects.select_related("drug", "source")
    if country:
        qs = qs.filter(country=country)
    return qs


def plan_queryset() -> QuerySet[TaperPlan]:
    return TaperPlan.objects.select_related("patient", "created_by")


def revisions_for(plan: TaperPlan) -> list[PlanRevision]:
    """Every revision of ``plan`` with steps, doses and overrides, in a constant number of
    queries however many steps there are."""
    doses = StepDose.objects.select_related("drug").order_by("slot_order", "drug__name")
    return list(
        plan.revisions.select_related("created_by", "signed_by")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=PlanStep.objects.order_by("index").prefetch_related(
                    Prefetch("doses", queryset=doses)
                ),
            ),
            "overrides",
        )
        .order_by("number")
    )

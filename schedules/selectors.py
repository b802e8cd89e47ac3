"""Reads for the schedules app: the querysets views, the API and tasks use."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from schedules.models import Drug, EquivalenceFigure, Product

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

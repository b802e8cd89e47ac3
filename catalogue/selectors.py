"""Reads of the reference catalogue: drugs with their figures, products by country."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from catalogue.labels import ProductLabel
from catalogue.models import Drug, EquivalenceFigure, Product

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


def product_index(country: str) -> dict[str, Product]:
    """Products of ``country`` by slug (one query), to describe dose units."""
    return {p.slug: p for p in Product.objects.select_related("drug").filter(country=country)}


def product_labels(country: str) -> dict[str, ProductLabel]:
    """The words of every product of ``country``, by slug (one query): what the pages, the
    printable schedule and the exports put into words."""
    return {slug: ProductLabel.of(p) for slug, p in product_index(country).items()}


def drug_names() -> dict[str, str]:
    return dict(Drug.objects.values_list("slug", "name"))

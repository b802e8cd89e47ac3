"""JSON shapes of the reference catalogue (DESIGN.md, public API v1)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from catalogue.models import Drug, EquivalenceFigure, Product


class EquivalentSerializer(serializers.ModelSerializer[EquivalenceFigure]):
    source = serializers.CharField(source="source.key")  # type: ignore[assignment]
    source_name = serializers.CharField(source="source.short")

    class Meta:
        model = EquivalenceFigure
        fields = ["source", "source_name", "mg", "low", "high", "citation", "verified", "note"]


class DrugSerializer(serializers.ModelSerializer[Drug]):
    half_life = serializers.SerializerMethodField()
    equivalents = EquivalentSerializer(many=True, read_only=True)

    class Meta:
        model = Drug
        fields = ["slug", "name", "drug_class", "half_life", "equivalents", "notes"]

    def get_half_life(self, drug: Drug) -> dict[str, Any]:
        def fmt(value: Any) -> str | None:
            return None if value is None else format(value.normalize(), "f")

        return {
            "low_h": fmt(drug.half_life_low_h),
            "high_h": fmt(drug.half_life_high_h),
            "metabolite_low_h": fmt(drug.metabolite_half_life_low_h),
            "metabolite_high_h": fmt(drug.metabolite_half_life_high_h),
            "source": drug.half_life_source.key if drug.half_life_source else None,
            "verified": drug.half_life_verified,
        }


class ProductSerializer(serializers.ModelSerializer[Product]):
    drug = serializers.CharField(source="drug.slug")
    source = serializers.CharField(source="source.key")  # type: ignore[assignment]
    release = serializers.CharField(read_only=True, help_text="ir or er")
    label = serializers.CharField(  # type: ignore[assignment]
        read_only=True, help_text="The words every output uses for this product."
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "slug",
            "drug",
            "country",
            "form",
            "release",
            "strength_mg",
            "mg_per_ml",
            "label_mg",
            "label_ml",
            "label",
            "scored",
            "splits",
            "split_licensed",
            "measure_ml",
            "verified",
            "notes",
            "source",
        ]

"""The reference catalogue: sources, drugs, equivalence figures and products.

Loaded from the versioned files in ``catalogue/data/`` by data migrations; every figure names its
source. Values the clinical reference marks unverified carry ``verified=False`` and the UI shows
that flag. The tables keep the names they had when these models lived in ``schedules``
(``db_table``), so moving the models moved no data.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from catalogue.labels import ProductLabel, release_of

MG: dict[str, Any] = {"max_digits": 10, "decimal_places": 4}


class Source(models.Model):
    key = models.SlugField(max_length=40, unique=True)
    short = models.CharField(max_length=80)
    title = models.CharField(max_length=400)
    citation = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        db_table = "schedules_source"
        ordering = ["key"]

    def __str__(self) -> str:
        return self.short


class Drug(models.Model):
    class DrugClass(models.TextChoices):
        BENZODIAZEPINE = "benzodiazepine", _("Benzodiazepine")
        Z_DRUG = "z-drug", _("Z-drug")

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    drug_class = models.CharField(max_length=20, choices=DrugClass.choices)
    half_life_low_h = models.DecimalField(null=True, blank=True, **MG)
    half_life_high_h = models.DecimalField(null=True, blank=True, **MG)
    metabolite_half_life_low_h = models.DecimalField(null=True, blank=True, **MG)
    metabolite_half_life_high_h = models.DecimalField(null=True, blank=True, **MG)
    half_life_source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    half_life_verified = models.BooleanField(default=True)
    plausible_max_daily_mg = models.DecimalField(**MG)
    hard_max_daily_mg = models.DecimalField(**MG)
    dose_limit_source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)

    class Meta:
        db_table = "schedules_drug"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(plausible_max_daily_mg__gt=0)
                & models.Q(hard_max_daily_mg__gte=models.F("plausible_max_daily_mg")),
                name="drug_dose_limits_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name


class EquivalenceFigure(models.Model):
    """``mg`` of the drug equivalent to diazepam 10 mg, according to ``source``."""

    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="equivalents")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="equivalents")
    mg = models.DecimalField(**MG)
    low = models.DecimalField(**MG)
    high = models.DecimalField(**MG)
    original_reference_mg = models.DecimalField(
        help_text=_("5 when the source quotes 'equivalent to diazepam 5 mg' and was doubled."), **MG
    )
    citation = models.CharField(max_length=300)
    verified = models.BooleanField(default=True)
    note = models.TextField(blank=True)

    class Meta:
        db_table = "schedules_equivalencefigure"
        ordering = ["drug__name", "source__key"]
        constraints = [
            models.UniqueConstraint(fields=["drug", "source"], name="one_figure_per_drug_source"),
            models.CheckConstraint(
                condition=models.Q(low__gt=0)
                & models.Q(low__lte=models.F("mg"))
                & models.Q(mg__lte=models.F("high")),
                name="figure_within_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug} {self.mg} mg ≡ diazepam 10 mg ({self.source.key})"


class Product(models.Model):
    class Form(models.TextChoices):
        TABLET = "tablet", _("tablet")
        CAPSULE = "capsule", _("capsule")
        ODT = "odt", _("orally disintegrating tablet")
        ER_TABLET = "er_tablet", _("extended-release tablet")
        SOLUTION = "solution", _("oral solution")
        SUSPENSION = "suspension", _("oral suspension")
        CONCENTRATE = "concentrate", _("oral concentrate")

    LIQUID_FORMS = frozenset({Form.SOLUTION, Form.SUSPENSION, Form.CONCENTRATE})

    slug = models.SlugField(max_length=80)
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="products")
    country = models.CharField(max_length=2)
    form = models.CharField(max_length=20, choices=Form.choices)
    strength_mg = models.DecimalField(null=True, blank=True, **MG)
    mg_per_ml = models.DecimalField(null=True, blank=True, **MG)
    label_mg = models.DecimalField(
        null=True, blank=True, help_text=_("A liquid's label strength: mg per label_ml."), **MG
    )
    label_ml = models.DecimalField(
        null=True, blank=True, help_text=_('A liquid\'s label volume: the 5 of "2 mg/5 mL".'), **MG
    )
    scored = models.BooleanField(null=True, help_text=_("Unknown when empty."))
    splits = models.JSONField(
        default=list, help_text=_('Piece sizes a patient may take, e.g. ["1", "0.5"].')
    )
    split_licensed = models.BooleanField(default=True)
    measure_ml = models.DecimalField(null=True, blank=True, **MG)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="products")
    verified = models.BooleanField(default=True)
    notes = models.TextField(blank=True)

    class Meta:
        db_table = "schedules_product"
        ordering = ["country", "drug__name", "form", "strength_mg", "mg_per_ml"]
        constraints = [
            models.UniqueConstraint(fields=["country", "slug"], name="product_slug_per_country"),
            models.CheckConstraint(
                condition=(
                    models.Q(strength_mg__gt=0, mg_per_ml__isnull=True)
                    | models.Q(strength_mg__isnull=True, mg_per_ml__gt=0, measure_ml__gt=0)
                ),
                name="product_strength_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_liquid(self) -> bool:
        return self.form in self.LIQUID_FORMS

    @property
    def release(self) -> str:
        """``"ir"`` (immediate-release) or ``"er"`` (extended-release)."""
        return release_of(self.form)

    @property
    def label(self) -> str:
        """The words every output uses: ``"diazepam 2 mg/5 mL oral solution"``."""
        return ProductLabel.of(self).label

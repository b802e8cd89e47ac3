"""The reference catalogue loaded by the data migration is complete and cited."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogue.models import Drug, EquivalenceFigure, Product

pytestmark = pytest.mark.django_db

# clinical-reference.md §1a, mg ≡ diazepam 10 mg ("—" sources are absent).
EXPECTED_FIGURES = {
    "alprazolam": {"ashton-2007": "0.5", "va-dod-2021": "1", "who-2009": "1", "sps": "0.5"},
    "clonazepam": {"ashton-2007": "0.5", "va-dod-2021": "1", "nhs-scotland-2024": "0.5"},
    "lorazepam": {
        "ashton-2007": "1",
        "va-dod-2021": "2",
        "nhs-scotland-2024": "1",
        "who-2009": "1",
    },
    "oxazepam": {
        "ashton-2007": "20",
        "va-dod-2021": "30",
        "nhs-scotland-2024": "20",
        "who-2009": "30",
    },
    "temazepam": {
        "ashton-2007": "20",
        "va-dod-2021": "15",
        "nhs-scotland-2024": "20",
        "who-2009": "20",
    },
}
# Midazolam has no Ashton entry: clinical-reference §1a says TripSit's 10 mg is not Ashton's.
NO_ASHTON_ENTRY = {"midazolam"}


@pytest.mark.parametrize("drug", sorted(EXPECTED_FIGURES))
def test_figures_match_the_clinical_reference(drug):
    figures = {
        f.source.key: f.mg
        for f in EquivalenceFigure.objects.filter(drug__slug=drug).select_related("source")
    }
    for source, mg in EXPECTED_FIGURES[drug].items():
        assert figures.get(source) == Decimal(mg), f"{drug} per {source}"


def test_absent_sources_have_no_figure():
    assert not EquivalenceFigure.objects.filter(
        drug__slug="alprazolam", source__key="nhs-scotland-2024"
    ).exists()
    assert not EquivalenceFigure.objects.filter(
        drug__slug="clonazepam", source__key="who-2009"
    ).exists()


def test_every_drug_has_a_cited_ashton_figure():
    drugs = Drug.objects.exclude(slug__in=NO_ASHTON_ENTRY)
    assert drugs.count() >= 26
    for drug in drugs:
        figure = drug.equivalents.get(source__key="ashton-2007")
        assert figure.citation.strip(), drug.slug
        assert figure.mg > 0


def test_the_four_required_sources_are_present_with_citations():
    for key in ("ashton-2007", "va-dod-2021", "nhs-scotland-2024", "who-2009"):
        figures = EquivalenceFigure.objects.filter(source__key=key)
        assert figures.count() >= 12, key
        assert figures.first().source.citation


def test_every_product_strength_is_positive_and_well_formed():
    assert Product.objects.filter(country="GB").count() >= 15
    assert Product.objects.filter(country="US").count() >= 20
    for product in Product.objects.all():
        if product.is_liquid:
            assert product.mg_per_ml > 0 and product.strength_mg is None, product.slug
            assert product.measure_ml == Decimal("0.1"), product.slug
        else:
            assert product.strength_mg > 0 and product.mg_per_ml is None, product.slug
        assert product.splits and all(Decimal(s) > 0 for s in product.splits), product.slug
        if product.form == Product.Form.ER_TABLET:
            assert product.splits == ["1"], product.slug


def test_uk_diazepam_tablets_and_liquids_as_in_the_reference():
    gb = {p.slug: p for p in Product.objects.filter(country="GB", drug__slug="diazepam")}
    assert {p.strength_mg for p in gb.values() if p.strength_mg} == {
        Decimal(2),
        Decimal(5),
        Decimal(10),
    }
    assert {p.mg_per_ml for p in gb.values() if p.mg_per_ml} == {Decimal("0.4"), Decimal(1)}
    two = gb["diazepam-2mg-tablet"]
    assert two.split_licensed is False and "off-licence" in two.notes


def test_unverified_figures_are_flagged():
    # §1a Ashton values outside ASAM Table 7 come from a secondary transcription.
    assert EquivalenceFigure.objects.filter(verified=False).exists()
    assert EquivalenceFigure.objects.get(
        drug__slug="alprazolam", source__key="ashton-2007"
    ).verified

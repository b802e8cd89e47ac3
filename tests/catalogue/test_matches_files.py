"""The engine reads the reference files; the database holds what the data migration loaded.

If someone changes ``catalogue/data/`` without a new data migration, these disagree and plans
would be built from figures the UI does not show. This test catches that.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogue.models import EquivalenceFigure, Product, Source
from schedules.services import plans as plan_services

pytestmark = pytest.mark.django_db


def test_every_equivalence_figure_in_the_database_matches_the_engines():
    reference = plan_services.reference()
    rows = EquivalenceFigure.objects.select_related("drug", "source")
    assert rows.count() == sum(len(reference.figures_for(slug)) for slug in reference.drug_slugs)
    for row in rows:
        figure = reference.figure(row.drug.slug, row.source.key)
        assert figure is not None, (row.drug.slug, row.source.key)
        assert (figure.mg, figure.low, figure.high, figure.verified) == (
            row.mg,
            row.low,
            row.high,
            row.verified,
        )


def test_every_product_in_the_database_matches_the_engines():
    reference = plan_services.reference()
    for row in Product.objects.select_related("drug"):
        products = {p.slug: p for p in reference.products_for(row.drug.slug, row.country)}
        product = products[row.slug]
        assert (
            product.strength_mg,
            product.mg_per_ml,
            product.label_mg,
            product.label_ml,
            product.measure_ml,
        ) == (row.strength_mg, row.mg_per_ml, row.label_mg, row.label_ml, row.measure_ml)
        assert set(product.splits) == {Decimal(piece) for piece in row.splits}, row.slug
        # Scoring, licence, verification and the cited source reach the database too (a data
        # change without a new migration leaves the old facts in the rows the UI shows).
        assert (
            product.scored,
            product.split_licensed,
            product.verified,
            product.source,
            product.notes,
        ) == (row.scored, row.split_licensed, row.verified, row.source.key, row.notes), row.slug


def test_every_source_in_the_files_is_in_the_database():
    reference = plan_services.reference()
    rows = {row.key: row for row in Source.objects.all()}
    for source in reference.sources:
        assert source.key in rows, source.key
        assert (rows[source.key].title, rows[source.key].url) == (source.title, source.url)


def test_every_product_label_strength_is_the_strength_in_the_data():
    """A liquid's label strength ("2 mg/5 mL") is its mg per mL; a solid's is its mg."""
    for row in Product.objects.select_related("drug"):
        if row.is_liquid:
            assert row.label_mg / row.label_ml == row.mg_per_ml, row.slug
            ml = "mL" if row.label_ml == 1 else f"{row.label_ml.normalize():f} mL"
            assert f" {row.label_mg.normalize():f} mg/{ml} " in row.label, row.label
        else:
            assert row.label_mg is None and row.label_ml is None
            assert f" {row.strength_mg.normalize():f} mg " in row.label, row.label
        assert row.label.startswith(row.drug.name.lower() + " "), row.label

"""The catalogue models moved from ``schedules`` to ``catalogue`` without moving a row.

Migrating from an empty database is what every test session does when it creates the test
database (and ``test_matches_files`` then finds the catalogue loaded). This test covers the other
path: a database migrated before the move, with data in it, migrated forward.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

LAST_BEFORE_MOVE = ("schedules", "0004_plan_document")


def _migrate(targets, state_at):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(state_at).apps


@pytest.mark.django_db(transaction=True)
def test_migrating_a_database_from_before_the_move_keeps_its_rows(catalogue):
    old = _migrate([("catalogue", None)], LAST_BEFORE_MOVE)
    old_drug = old.get_model("schedules", "Drug")
    old_product = old.get_model("schedules", "Product")
    drug_count = old_drug.objects.count()
    diazepam = old_drug.objects.get(slug="diazepam")
    old_product.objects.create(
        slug="diazepam-7mg-test-tablet",
        drug=diazepam,
        country="GB",
        form="tablet",
        strength_mg=Decimal(7),
        source=old_product.objects.first().source,
        verified=False,
    )

    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    latest = _migrate(leaves, leaves)

    drug = latest.get_model("catalogue", "Drug")
    product = latest.get_model("catalogue", "Product")
    assert drug.objects.count() == drug_count
    moved = product.objects.get(slug="diazepam-7mg-test-tablet")
    assert moved.drug.slug == "diazepam"
    assert moved.strength_mg == Decimal(7)
    step_dose = latest.get_model("schedules", "StepDose")
    assert step_dose._meta.get_field("drug").related_model is drug


@pytest.mark.django_db(transaction=True)
def test_a_database_loaded_before_the_product_facts_were_checked_gets_them(catalogue):
    """A database already past 0003 keeps whatever the files said then, because the data
    migrations read ``catalogue/data`` when they run. 0004 reloads it: here a US clonazepam 1 mg
    row still holds the old facts (scored, licensed halves, unverified) and leaves corrected."""
    old = _migrate([("catalogue", "0003_products_v2")], ("catalogue", "0003_products_v2"))
    old_product = old.get_model("catalogue", "Product")
    stale = old_product.objects.filter(slug="clonazepam-1mg-tablet", country="US")
    assert stale.update(scored=True, splits=["1", "0.5"], split_licensed=True, verified=False) == 1

    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    latest = _migrate(leaves, leaves)

    row = latest.get_model("catalogue", "Product").objects.get(
        slug="clonazepam-1mg-tablet", country="US"
    )
    # Klonopin label: the 1 mg tablet is unscored (source dailymed-klonopin).
    assert (row.scored, row.splits, row.split_licensed, row.verified) == (None, ["1"], False, True)
    assert row.source.key == "dailymed-klonopin"


@pytest.mark.django_db(transaction=True)
def test_a_database_loaded_before_the_gb_alprazolam_250_was_added_gets_it(catalogue):
    """0005 reloads the catalogue: a database at 0004 without the GB alprazolam 250 microgram
    tablet (Xanax, emc SmPC 1657) has it after migrating, so its GB alprazolam tapers can cut
    in 0.25 mg steps."""
    old = _migrate(
        [("catalogue", "0004_products_verified_facts")],
        ("catalogue", "0004_products_verified_facts"),
    )
    old.get_model("catalogue", "Product").objects.filter(
        slug="alprazolam-0-25mg-tablet", country="GB"
    ).delete()

    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    latest = _migrate(leaves, leaves)

    row = latest.get_model("catalogue", "Product").objects.get(
        slug="alprazolam-0-25mg-tablet", country="GB"
    )
    assert (row.strength_mg, row.scored, row.splits, row.verified) == (
        Decimal("0.25"),
        True,
        ["1"],
        True,
    )
    assert row.source.key == "emc-xanax-uk"

"""Reload the reference catalogue from catalogue/data/ (products v2).

Adds the GB and US products of every marketed drug (issue 9, "Engine v2"). The loader is
idempotent (it updates rows by key), so this only re-runs it.
"""

from django.db import migrations


def load(apps, schema_editor):
    from catalogue.loading import load_catalogue

    names = ("Source", "Drug", "EquivalenceFigure", "Product")
    load_catalogue({name: apps.get_model("catalogue", name) for name in names})


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0002_product_label_strength")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

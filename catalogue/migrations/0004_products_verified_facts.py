"""Reload the reference catalogue from catalogue/data/ (product facts checked, issue 9).

29 products confirmed against public labels and SmPCs now carry ``verified`` and their own
sources; five products' scoring changed (US clonazepam 1 mg and 2 mg tablets are taken whole,
US quazepam 15 mg and GB loprazolam 1 mg may be halved, US zolpidem is unscored). The loader is
idempotent (it updates rows by key), so this only re-runs it.
"""

from django.db import migrations


def load(apps, schema_editor):
    from catalogue.loading import load_catalogue

    names = ("Source", "Drug", "EquivalenceFigure", "Product")
    load_catalogue({name: apps.get_model("catalogue", name) for name in names})


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0003_products_v2")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

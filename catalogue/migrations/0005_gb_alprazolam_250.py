"""Reload the reference catalogue from catalogue/data/: the GB alprazolam 250 microgram tablet.

Xanax 250 microgram tablets are on emc (SmPC 1657) beside the 500 microgram ones, but the
catalogue had only 0.5 mg (and the unconfirmed 1 mg) for GB, so a GB alprazolam taper could
only cut in 0.5 mg steps (1 -> 0.5 -> 0, each cut lengthening the step before to months).
The loader is idempotent (it updates rows by key), so this only re-runs it.
"""

from django.db import migrations


def load(apps, schema_editor):
    from catalogue.loading import load_catalogue

    names = ("Source", "Drug", "EquivalenceFigure", "Product")
    load_catalogue({name: apps.get_model("catalogue", name) for name in names})


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0004_products_verified_facts")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

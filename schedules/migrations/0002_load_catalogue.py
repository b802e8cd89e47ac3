"""Load the reference catalogue from catalogue/data/ (version 2026-12-01)."""

from django.db import migrations


def load(apps, schema_editor):
    from catalogue.loading import load_catalogue

    names = ("Source", "Drug", "EquivalenceFigure", "Product")
    load_catalogue({name: apps.get_model("schedules", name) for name in names})


class Migration(migrations.Migration):
    dependencies = [("schedules", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

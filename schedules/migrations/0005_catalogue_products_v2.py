"""Reload the reference catalogue from schedules/data/ (version 2026-12-03: products v2).

Adds the GB and US products of every marketed drug (issue 9, "Engine v2"). The loader is
idempotent (it updates rows by key), so this only re-runs it.
"""

from django.db import migrations


def load(apps, schema_editor):
    from schedules.catalogue import load_catalogue

    names = ("Source", "Drug", "EquivalenceFigure", "Product")
    load_catalogue({name: apps.get_model("schedules", name) for name in names})


class Migration(migrations.Migration):
    dependencies = [("schedules", "0004_plan_document")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

"""Products carry the strength they are sold as (``label_mg`` per ``label_ml`` for liquids:
"2 mg/5 mL"), so every output words them the same; reload the catalogue (version 2026-12-03)."""

from django.db import migrations, models


def load(apps, schema_editor):
    from catalogue.loading import load_catalogue

    names = ("Source", "Drug", "EquivalenceFigure", "Product")
    load_catalogue({name: apps.get_model("catalogue", name) for name in names})


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="label_mg",
            field=models.DecimalField(
                blank=True,
                decimal_places=4,
                help_text="A liquid's label strength: mg per label_ml.",
                max_digits=10,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="product",
            name="label_ml",
            field=models.DecimalField(
                blank=True,
                decimal_places=4,
                help_text='A liquid\'s label volume: the 5 of "2 mg/5 mL".',
                max_digits=10,
                null=True,
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]

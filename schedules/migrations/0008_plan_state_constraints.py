"""One plan in force per patient, one open draft per plan, one chain of signed revisions."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("schedules", "0007_settle_existing_plans")]

    operations = [
        migrations.AddConstraint(
            model_name="planrevision",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "draft")),
                fields=("plan",),
                name="one_open_draft_per_plan",
            ),
        ),
        migrations.AddConstraint(
            model_name="planrevision",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "signed")),
                fields=("previous",),
                name="signed_revisions_form_one_chain",
            ),
        ),
        migrations.AddConstraint(
            model_name="planrevision",
            constraint=models.UniqueConstraint(
                condition=models.Q(("previous__isnull", True), ("status", "signed")),
                fields=("plan",),
                name="one_first_signed_revision_per_plan",
            ),
        ),
        migrations.AddConstraint(
            model_name="taperplan",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "active")),
                fields=("patient",),
                name="one_plan_in_force_per_patient",
            ),
        ),
        migrations.AddConstraint(
            model_name="taperplan",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "draft")),
                fields=("patient",),
                name="one_unsigned_plan_per_patient",
            ),
        ),
    ]

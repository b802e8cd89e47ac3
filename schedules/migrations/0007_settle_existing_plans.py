"""Settle plans made before the plan-state rules (PostgreSQL: data changes and the constraints
that follow go in separate migrations, so no trigger is pending when the table is altered)."""

from django.db import migrations


def settle_existing_plans(apps, schema_editor):
    """Bring plans made before these rules into line, so the new constraints hold.

    - A plan with a signed revision is in force; of several for one patient, the newest stays in
      force and each older one is superseded, ending the day before the next one starts.
    - A plan with no signed revision is a draft plan; of several for one patient only the newest
      stays open, the others are abandoned.
    - Of several open drafts in one plan, the newest stays open; the others are discarded.
    - Signed revisions that branched from the same revision are chained in signing order.
    """
    import datetime

    plan_model = apps.get_model("schedules", "TaperPlan")
    revision_model = apps.get_model("schedules", "PlanRevision")
    for plan in plan_model.objects.all():
        revisions = list(revision_model.objects.filter(plan=plan).order_by("number"))
        drafts = [r for r in revisions if r.status == "draft"]
        for stale in drafts[:-1]:
            stale.status = "discarded"
            stale.discard_reason = (
                "Replaced by a newer draft (tidied when one draft per plan began)."
            )
            stale.save(update_fields=["status", "discard_reason"])
        signed = sorted(
            (r for r in revisions if r.status == "signed"), key=lambda r: (r.signed_at, r.number)
        )
        for earlier, later in zip(signed, signed[1:], strict=False):
            if later.previous_id != earlier.pk:
                later.previous_id = earlier.pk
                later.save(update_fields=["previous"])
        if signed and signed[0].previous_id is not None:
            signed[0].previous_id = None
            signed[0].save(update_fields=["previous"])
        plan.status = "active" if signed else "draft"
        plan.save(update_fields=["status"])
    patient_ids = plan_model.objects.values_list("patient_id", flat=True).distinct()
    for patient_id in patient_ids:
        for status, older_status in (("active", "superseded"), ("draft", "abandoned")):
            plans = list(
                plan_model.objects.filter(patient_id=patient_id, status=status).order_by(
                    "created_at", "pk"
                )
            )
            for older, newer in zip(plans, plans[1:], strict=False):
                older.status = older_status
                if status == "active":
                    start = (
                        revision_model.objects.filter(plan=newer, status="signed")
                        .order_by("number")
                        .values_list("start_date", flat=True)
                        .first()
                    )
                    older.ended_on = start - datetime.timedelta(days=1) if start else None
                    newer.supersedes_id = older.pk
                    newer.save(update_fields=["supersedes"])
                older.save(update_fields=["status", "ended_on"])


class Migration(migrations.Migration):
    dependencies = [("schedules", "0006_plan_state")]

    operations = [migrations.RunPython(settle_existing_plans, migrations.RunPython.noop)]

"""History rows are append-only on PostgreSQL: a trigger refuses UPDATE and DELETE on every
django-simple-history table of patients, plans, revisions, overrides, check-ins, reviews,
medication records, users and clinics. Nothing in the app changes a history row; this makes
sure nothing can, short of a migration. (TRUNCATE, which only the test database flush uses,
is not a row change.) SQLite, the embedded development default, is left as it is."""

from __future__ import annotations

from django.db import migrations

TABLES = (
    "accounts_historicalclinic",
    "accounts_historicaluser",
    "patients_historicalpatient",
    "medications_historicalmedicationrecord",
    "schedules_historicaltaperplan",
    "schedules_historicalplanrevision",
    "schedules_historicaloverride",
    "checkins_historicalcheckin",
    "checkins_historicalreview",
)
FUNCTION = """
CREATE OR REPLACE FUNCTION taper_history_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history rows are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION taper_history_append_only();"
        )


def remove(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS taper_history_append_only();")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("accounts", "0003_clinic_name_one_line"),
        ("patients", "0003_phone_and_birth_date_validators"),
        ("medications", "0001_initial"),
        ("schedules", "0009_plan_record_snapshot"),
        ("checkins", "0003_missed_digest"),
    ]

    operations = [migrations.RunPython(install, remove)]

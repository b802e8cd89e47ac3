"""Every write leaves a history row with its actor, and on PostgreSQL (CI's database) nobody can
change or delete one."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from medications import services as medication_services
from patients.models import Patient
from tests.medications.helpers import record_body
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db


def test_writes_to_patients_plans_and_records_keep_the_actor(patient, prescriber):
    revision = signed_plan(patient, prescriber)
    medication_services.record_save(patient=patient, user=prescriber, data=record_body())
    assert revision.history.latest().history_user == prescriber
    assert revision.plan.history.latest().history_user == prescriber
    assert patient.medication_record.history.latest().history_user == prescriber


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize("statement", ["UPDATE {t} SET last_name = 'X'", "DELETE FROM {t}"])
def test_history_rows_cannot_be_changed_or_deleted(patient, statement):
    table = Patient.history.model._meta.db_table
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(t=table))
    assert Patient.history.filter(id=patient.pk).exists()

"""A whole flow, with every logger at DEBUG, writes no patient name, date of birth, search term
or drug name to the logs."""

from __future__ import annotations

import json
import logging

import pytest
import time_machine

from tests.checkins.helpers import form_data, sent_invitation
from tests.medications.helpers import record_body

pytestmark = pytest.mark.django_db
SECRETS = ("Philippa", "Zyxwvut", "1961-04-23", "23/04/1961", "alprazolam", "Alprazolam")


@time_machine.travel("2027-01-18 10:00:00+00:00")
def test_a_full_flow_logs_no_patient_data(client, prescriber, nurse, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(prescriber)
    created = client.post(
        "/api/v1/patients/",
        data=json.dumps(
            {
                "mrn": "LOG-1",
                "first_name": "Philippa",
                "last_name": "Zyxwvut",
                "date_of_birth": "1961-04-23",
                "email": "p.z@example.org",
                "prescriber": prescriber.pk,
                "nurse": nurse.pk,
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    patient_id = created.json()["id"]
    body = record_body(regimen=[{"drug": "alprazolam", "doses": {"morning": "0.5", "night": "1"}}])
    assert (
        client.put(
            f"/api/v1/patients/{patient_id}/medications/",
            data=json.dumps(body),
            content_type="application/json",
        ).status_code
        == 200
    )
    draft = client.post(
        f"/api/v1/patients/{patient_id}/plans/",
        data=json.dumps(
            {
                "regimen": [{"drug": "alprazolam", "doses": {"morning": "0.5", "night": "1"}}],
                "strategy": "proportional",
                "reduction_percent": "10",
                "interval_days": 14,
                "switch_to_diazepam": True,
                "target_mg": "0",
                "equivalence_source": "ashton-2007",
                "country": "GB",
                "start_date": "2027-01-18",
            }
        ),
        content_type="application/json",
    )
    assert draft.status_code == 201, draft.content
    plan_id = draft.json()["id"]
    violations = draft.json()["draft"]["violations"]
    signed = client.post(
        f"/api/v1/plans/{plan_id}/sign/",
        data=json.dumps(
            {
                "confirm": True,
                "overrides": [
                    {"rule": v["rule"], "step": v.get("step"), "reason": "Reviewed with her."}
                    for v in violations
                ],
            }
        ),
        content_type="application/json",
    )
    assert signed.status_code == 200, signed.content
    client.get("/patients/?q=Zyxwvut")
    client.get(f"/patients/{patient_id}/")
    client.get(f"/plans/{plan_id}/")
    client.get(f"/api/v1/plans/{plan_id}/fhir/")
    client.get(f"/api/v1/plans/{plan_id}/calendar.ics")

    from patients.models import Patient
    from schedules.models import TaperPlan

    patient = Patient.objects.get(pk=patient_id)
    sent_invitation(patient, TaperPlan.objects.get(pk=plan_id), "log-test-token-" + "y" * 40)
    client.logout()
    answered = client.post("/c/log-test-token-" + "y" * 40 + "/", form_data(3))
    assert answered.status_code in (200, 302)
    client.force_login(nurse)
    client.get("/checkins/")
    client.get("/api/v1/checkins/queue/")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged, "the flow logged nothing: the capture is not working"
    for secret in SECRETS:
        assert secret not in logged, f"{secret!r} reached the logs"

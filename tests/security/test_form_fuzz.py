"""Hypothesis over the HTML forms' fields: whatever a browser can post, no page answers 5xx."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.checkins.helpers import form_data, sent_invitation
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", "0", "-1", "1e309", "NaN", "٣", "0.0000001", "9" * 40, "<b>", "\x00"]),
)


def fields(names: list[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({}, optional=dict.fromkeys(names, text))


PATIENT_FIELDS = [
    "mrn",
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "time_zone",
    "reminder_weekday",
    "reminder_time",
    "language",
]
RECORD_FIELDS = [
    "drug_1",
    "drug_1_form",
    "drug_1_morning",
    "drug_1_night",
    "since",
    "days_per_week",
    "indication",
    "alcohol",
    "other_1_name",
    "other_1_kind",
    "taper_1_year",
    "taper_1_outcome",
    "reason",
    "factors",
]
BUILDER_FIELDS = [
    "drug_1",
    "drug_1_night",
    "drug_1_form",
    "strategy",
    "reduction_percent",
    "step_mg",
    "interval_days",
    "switch_to_diazepam",
    "target_mg",
    "start_date",
    "country",
    "equivalence_source",
    "max_reduction_percent",
    "stop_threshold_mg",
    "holds",
    "patient_factors",
    "edit_2_days",
    "edit_2_night",
    "override__x__1",
]
HOLD_FIELDS = ["days", "reason", "from_step"]
CHECKIN_FIELDS = [
    "item_1",
    "item_17",
    "flag_seizure",
    "took_as_scheduled",
    "extra_doses",
    "hours_slept",
    "comment",
]


def no_server_error(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, response.status_code


@FUZZ
@given(data=fields(PATIENT_FIELDS))
def test_patient_form(prescriber_client, data):
    no_server_error(prescriber_client.post(reverse("patients:create"), data))


@FUZZ
@given(data=fields(RECORD_FIELDS))
def test_medication_record_form(prescriber_client, patient, data):
    no_server_error(prescriber_client.post(reverse("medications:edit", args=[patient.pk]), data))


@FUZZ
@given(data=fields(BUILDER_FIELDS))
def test_plan_builder(prescriber_client, patient, data):
    no_server_error(prescriber_client.post(reverse("schedules:preview", args=[patient.pk]), data))


@FUZZ
@given(data=fields(HOLD_FIELDS))
def test_hold_form(client, patient, prescriber, data):
    revision = signed_plan(patient, prescriber) if not patient.plans.exists() else None
    plan = revision.plan if revision else patient.plans.first()
    client.force_login(prescriber)
    no_server_error(client.post(reverse("schedules:hold", args=[plan.pk]), data))


@FUZZ
@given(data=fields(CHECKIN_FIELDS))
def test_patient_check_in_form(client, patient, prescriber, data):
    if not patient.plans.exists():
        plan = signed_plan(patient, prescriber).plan
        sent_invitation(patient, plan, "fuzz-token-" + "f" * 40)
    no_server_error(client.post("/c/fuzz-token-" + "f" * 40 + "/", {**form_data(1), **data}))

"""Dispensing, FHIR and calendar endpoints: staff only, clinic-scoped, current signed revision."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle
from icalendar import Calendar

from schedules.api.exports import NO_SIGNED_REVISION
from schedules.services import plans as plan_services
from tests.factories import PatientFactory
from tests.plan_helpers import crossover_body, draft_plan, preview_body, signed_plan
from tests.schedules.exports import times

pytestmark = pytest.mark.django_db

ENDPOINTS = ("fhir/", "calendar.ics", "dispensing/")


def url(plan_id, endpoint):
    return f"/api/v1/plans/{plan_id}/{endpoint}"


def dosing_requests(revision):
    """(step index, drug) pairs the FHIR bundle must contain, from the stored rows."""
    return [
        (step.index, drug)
        for step in revision.steps.order_by("index")
        for drug in dict.fromkeys(d.drug.slug for d in step.doses.order_by("slot_order"))
    ]


@pytest.fixture
def revision(patient, prescriber):
    return signed_plan(patient, prescriber)


# FHIR ---------------------------------------------------------------------------------------


def test_fhir_is_a_valid_r4_bundle_with_one_request_per_dosing_step(
    prescriber_client, revision, patient, prescriber
):
    response = prescriber_client.get(url(revision.plan_id, "fhir/"))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json"
    assert response["Cache-Control"] == "private, no-store"
    data = response.json()
    Bundle.model_validate(data)
    requests = [entry["resource"] for entry in data["entry"]]
    expected = dosing_requests(revision)
    assert len(requests) == len(expected) == revision.steps.exclude(phase="stop").count()
    steps = {step.index: step for step in revision.steps.all()}
    for request, (index, drug) in zip(requests, expected, strict=True):
        assert request["id"] == f"rev{revision.pk}-step{index}-{drug}"
        assert request["status"] == "active"
        assert request["subject"] == {"reference": f"Patient/{patient.pk}"}
        assert request["requester"] == {"reference": f"Practitioner/{prescriber.pk}"}
        for dosage in request["dosageInstruction"]:
            assert dosage["timing"]["repeat"]["boundsPeriod"] == {
                "start": steps[index].start_date.isoformat(),
                "end": steps[index].end_date.isoformat(),
            }
            assert dosage["doseAndRate"][0]["doseQuantity"]["code"] == "mg"


def test_fhir_crossover_gives_one_request_per_drug_per_step(prescriber_client, patient, prescriber):
    revision = signed_plan(patient, prescriber, crossover_body())
    data = prescriber_client.get(url(revision.plan_id, "fhir/")).json()
    Bundle.model_validate(data)
    ids = [entry["resource"]["id"] for entry in data["entry"]]
    assert ids == [f"rev{revision.pk}-step{i}-{drug}" for i, drug in dosing_requests(revision)]
    assert f"rev{revision.pk}-step1-alprazolam" in ids
    assert f"rev{revision.pk}-step1-diazepam" in ids
    doses = [
        Decimal(str(d["doseAndRate"][0]["doseQuantity"]["value"]))
        for entry in data["entry"]
        for d in entry["resource"]["dosageInstruction"]
    ]
    stored = [
        dose.mg
        for step in revision.steps.order_by("index")
        for drug in dict.fromkeys(d.drug.slug for d in step.doses.order_by("slot_order"))
        for dose in step.doses.order_by("slot_order")
        if dose.drug.slug == drug
    ]
    assert doses == stored


def test_fhir_answers_a_fhir_accept_header(prescriber_client, revision):
    response = prescriber_client.get(
        url(revision.plan_id, "fhir/"), HTTP_ACCEPT="application/fhir+json"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"


def test_fhir_reads_in_a_constant_number_of_queries(prescriber_client, revision):
    with CaptureQueriesContext(connection) as queries:
        assert prescriber_client.get(url(revision.plan_id, "fhir/")).status_code == 200
    assert len(queries) <= 15


# Calendar ------------------------------------------------------------------------------------


def test_calendar_is_an_ics_attachment_with_an_event_per_step_and_slot(prescriber_client, revision):
    response = prescriber_client.get(url(revision.plan_id, "calendar.ics"))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == (
        f'attachment; filename="taper-plan-{revision.plan_id}.ics"'
    )
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    dose_events = sum(
        len({d.slot for d in step.doses.all()}) for step in revision.steps.exclude(phase="stop")
    )
    assert len(events) == dose_events + 1  # and the stop day
    first = str(events[0]["UID"])
    assert first == f"rev{revision.pk}-step1-morning@taper-clinic"
    assert str(events[0]["SUMMARY"]) == times("Take 10 mg diazepam (1 x diazepam 10 mg tablet)")


def test_calendar_uses_the_patients_time_zone(client, clinic, prescriber):
    patient = PatientFactory(clinic=clinic, prescriber=prescriber, time_zone="America/New_York")
    revision = signed_plan(patient, prescriber)
    client.force_login(prescriber)
    response = client.get(url(revision.plan_id, "calendar.ics"))
    assert b"DTSTART;TZID=America/New_York:20270104T080000" in response.content
    assert "Riverside" in response.content.decode()


def test_calendar_answers_a_text_calendar_accept_header(prescriber_client, revision):
    response = prescriber_client.get(
        url(revision.plan_id, "calendar.ics"), HTTP_ACCEPT="text/calendar"
    )
    assert response.status_code == 200
    assert response.content.startswith(b"BEGIN:VCALENDAR")


# Dispensing ----------------------------------------------------------------------------------


def test_dispensing_totals_per_period(prescriber_client, revision):
    response = prescriber_client.get(url(revision.plan_id, "dispensing/"))
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["plan"], data["revision"], data["period_days"]) == (
        revision.plan_id,
        revision.pk,
        28,
    )
    first = data["periods"][0]
    assert (first["start_date"], first["end_date"], first["days"]) == (
        "2027-01-04",
        "2027-01-31",
        28,
    )
    period_end = datetime.date(2027, 1, 31)
    expected: dict[str, Decimal] = {}
    for step in revision.steps.filter(start_date__lte=period_end).exclude(phase="stop"):
        days = (min(step.end_date, period_end) - step.start_date).days + 1
        for dose in step.doses.all():
            for part in dose.units:
                expected[part["product"]] = (
                    expected.get(part["product"], Decimal(0)) + Decimal(part["count"]) * days
                )
    assert {item["product"]: Decimal(item["quantity"]) for item in first["items"]} == expected
    dosing_days = sum(s.days for s in revision.steps.exclude(phase="stop"))
    assert sum(p["days"] for p in data["periods"]) == dosing_days


def test_dispensing_takes_period_days_and_from_date(nurse_client, revision):
    response = nurse_client.get(
        url(revision.plan_id, "dispensing/"), {"period_days": "7", "from_date": "2027-02-01"}
    )
    assert response.status_code == 200
    periods = response.json()["periods"]
    assert periods[0]["start_date"] == "2027-02-01"
    assert all(p["days"] == 7 for p in periods[:-1])


@pytest.mark.parametrize("value", ["0", "366", "-1", "7.5", "abc", "٣"])
def test_dispensing_bad_period_days_is_400(prescriber_client, revision, value):
    response = prescriber_client.get(url(revision.plan_id, "dispensing/"), {"period_days": value})
    assert response.status_code == 400
    messages = response.json()["errors"]["period_days"]
    assert messages and "period_days" in messages[0]


def test_dispensing_bad_from_date_is_400(prescriber_client, revision):
    response = prescriber_client.get(
        url(revision.plan_id, "dispensing/"), {"from_date": "04/01/2027"}
    )
    assert response.status_code == 400
    assert "from_date" in response.json()["errors"]


# Access and the revision in force ------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_nurse_may_read_every_export(nurse_client, revision, endpoint):
    assert nurse_client.get(url(revision.plan_id, endpoint)).status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_another_clinics_plan_is_404(client, revision, other_prescriber, endpoint):
    client.force_login(other_prescriber)
    response = client.get(url(revision.plan_id, endpoint))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unknown_plan_is_404(prescriber_client, endpoint):
    assert prescriber_client.get(url(999999, endpoint)).status_code == 404


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_is_refused(client, revision, endpoint):
    assert client.get(url(revision.plan_id, endpoint)).status_code in (401, 403)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_plan_with_only_a_draft_is_404_saying_so(
    prescriber_client, patient, prescriber, endpoint
):
    draft = draft_plan(patient, prescriber)
    response = prescriber_client.get(url(draft.plan_id, endpoint), HTTP_ACCEPT="*/*")
    assert response.status_code == 404
    assert response.json() == {"detail": NO_SIGNED_REVISION}


def test_errors_stay_json_when_a_calendar_was_asked_for(client, revision, other_prescriber):
    client.force_login(other_prescriber)
    response = client.get(url(revision.plan_id, "calendar.ics"), HTTP_ACCEPT="text/calendar")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_exports_follow_the_newest_signed_revision(prescriber_client, revision, prescriber):
    held = plan_services.plan_hold(
        plan=revision.plan,
        user=prescriber,
        days=7,
        reason="Patient unwell this week.",
        today=datetime.date(2027, 1, 20),
    )
    assert held.is_signed
    fhir = prescriber_client.get(url(revision.plan_id, "fhir/")).json()
    assert {e["resource"]["groupIdentifier"]["value"] for e in fhir["entry"]} == {f"rev{held.pk}"}
    calendar = Calendar.from_ical(
        prescriber_client.get(url(revision.plan_id, "calendar.ics")).content
    )
    first = calendar.walk("VEVENT")[0]
    assert str(first["UID"]).startswith(f"rev{held.pk}-step")
    assert first.decoded("DTSTART").date() == datetime.date(2027, 1, 20)
    dispensing = prescriber_client.get(url(revision.plan_id, "dispensing/")).json()
    assert dispensing["revision"] == held.pk
    assert dispensing["periods"][0]["start_date"] == "2027-01-20"


def test_no_patient_name_or_mrn_in_fhir_or_calendar(client, clinic, prescriber):
    patient = PatientFactory(
        clinic=clinic,
        prescriber=prescriber,
        first_name="Zebedee",
        last_name="Quillfeather",
        mrn="MRN-ZQ-98765",
        email="zq@example.com",
        phone="07700 900123",
        date_of_birth=datetime.date(1961, 2, 3),
    )
    revision = signed_plan(patient, prescriber, preview_body())
    client.force_login(prescriber)
    for endpoint in ("fhir/", "calendar.ics"):
        body = client.get(url(revision.plan_id, endpoint)).content.decode()
        for secret in (
            "Zebedee",
            "Quillfeather",
            "MRN-ZQ-98765",
            "zq@example.com",
            "07700",
            "1961",
            prescriber.last_name,
        ):
            assert secret not in body, (endpoint, secret)


def test_schema_documents_the_export_endpoints(prescriber_client):
    response = prescriber_client.get("/api/schema/")
    assert response.status_code == 200
    for path in (b"/fhir/", b"/calendar.ics", b"/dispensing/"):
        assert path in response.content


def test_calendar_of_a_clinic_whose_stored_name_has_a_line_break_is_200(
    prescriber_client, revision, clinic
):
    # A row saved before the name was validated (update() skips validation).
    type(clinic).objects.filter(pk=clinic.pk).update(name="Riverside\r\nX-Injected: 1")
    response = prescriber_client.get(url(revision.plan_id, "calendar.ics"))
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Doses: Riverside X-Injected: 1"
    assert b"\r\nX-Injected" not in response.content

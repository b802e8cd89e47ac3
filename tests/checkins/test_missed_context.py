"""A missed row in the queue shows the patient's step and dose today and their last score."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from schedules.selectors import plan_state
from tests.checkins.helpers import IN_STEP_2
from tests.factories import CheckInFactory, InvitationFactory
from tests.plan_helpers import draft_plan, signed_plan

pytestmark = pytest.mark.django_db


def missed_row(page: str) -> str:
    start = page.index('data-kind="missed"')
    return page[start : page.index("</tr>", start)]


def test_a_missed_row_shows_the_step_dose_and_last_score(client, nurse, patient, prescriber):
    plan = signed_plan(patient, prescriber).plan
    CheckInFactory(
        patient=patient,
        total=30,
        max=80,
        band="moderate",
        partial=False,
        created_at=datetime.datetime(2027, 1, 11, 10, tzinfo=datetime.UTC),
        reviewed_at=datetime.datetime(2027, 1, 11, 12, tzinfo=datetime.UTC),
    )
    InvitationFactory(patient=patient, plan=plan, status="missed")
    with time_machine.travel(IN_STEP_2, tick=False):
        step = plan_state(plan, IN_STEP_2.date()).today_step
        client.force_login(nurse)
        row = missed_row(client.get("/checkins/").content.decode())
        api = client.get("/api/v1/checkins/queue/").json()["results"][0]
    assert step is not None and step.index == 2
    mg = step.equivalent_mg.normalize()
    assert f"Step 2: {mg} mg/day DE" in row
    assert "Last: 30/80 on 11 Jan" in row and "Moderate withdrawal" in row
    assert api["kind"] == "missed" and api["step"] == 2
    assert api["daily_mg_equivalent"] == str(mg)
    assert api["last_checkin"]["total"] == 30 and api["last_checkin"]["band"] == "moderate"


def test_a_missed_row_without_a_plan_in_force_or_earlier_check_in(
    nurse_client, patient, prescriber
):
    InvitationFactory(patient=patient, plan=draft_plan(patient, prescriber).plan, status="missed")
    row = missed_row(nurse_client.get("/checkins/").content.decode())
    assert "No earlier check-in" in row and "mg/day" not in row

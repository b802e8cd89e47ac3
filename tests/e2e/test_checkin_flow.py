"""A weekly check-in in a real browser: the patient answers on a phone with a red flag, the nurse
finds it at the top of the queue and holds the step, the prescriber sees the new revision."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.factories import (
    ClinicFactory,
    InvitationFactory,
    NurseFactory,
    PatientFactory,
    PrescriberFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TOKEN = "e2e-" + "k" * 43


def test_patient_answers_nurse_holds_prescriber_sees_revision(
    browser, page, live_server, artifacts
):
    from tests.plan_helpers import crossover_body, signed_plan

    clinic = ClinicFactory(name="Riverside", country="GB", phone="020 7946 0123")
    prescriber = PrescriberFactory(clinic=clinic, username="dr-shah", email="dr@example.org")
    nurse = NurseFactory(clinic=clinic, username="nurse-evans", email="nurse@example.org")
    patient = PatientFactory(
        clinic=clinic, prescriber=prescriber, nurse=nurse, first_name="Mary", last_name="Jones"
    )
    started = timezone.localdate() - datetime.timedelta(days=20)
    with time_machine.travel(started, tick=False):
        revision = signed_plan(patient, prescriber, crossover_body(start_date=started.isoformat()))
    InvitationFactory(
        patient=patient,
        plan=revision.plan,
        token=TOKEN,
        due_at=timezone.now() - datetime.timedelta(hours=2),
    )
    base = live_server.url

    # The patient, on a phone, without logging in.
    phone = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.goto(f"{base}/c/{TOKEN}/")
    expect(
        mobile.get_by_role("heading", name="Your weekly check-in with Riverside")
    ).to_be_visible()
    mobile.screenshot(path=str(artifacts / "checkin-phone-form.png"), full_page=False)
    for question in mobile.locator("fieldset.flags").all():
        question.get_by_label("No").check()
    mobile.locator("fieldset.flags").first.get_by_label("Yes").check()  # a seizure
    for question in mobile.locator("fieldset.q:not(.flags)").all()[:17]:
        question.locator("input[value='2']").check()
    mobile.get_by_role(
        "group", name="Did you take your doses as scheduled this week?"
    ).get_by_label("Yes").check()
    mobile.get_by_label("About how many hours did you sleep last night?").fill("5")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    mobile.get_by_role("button", name="Send my check-in").click()
    expect(mobile.get_by_test_id("what-to-do-now")).to_contain_text("999")
    expect(mobile.get_by_test_id("what-to-do-now")).to_contain_text("020 7946 0123")
    expect(mobile.get_by_test_id("doses")).to_contain_text("diazepam")
    mobile.screenshot(path=str(artifacts / "checkin-phone-done.png"), full_page=True)
    phone.close()

    # The nurse: the check-in is at the top of the queue; hold the step.
    log_in(page, base, "nurse-evans")
    page.goto(f"{base}/checkins/")
    first = page.get_by_test_id("queue-row").first
    expect(first).to_contain_text("Mary Jones")
    expect(first).to_contain_text("Urgent")
    expect(first).to_contain_text("escalate")
    page.screenshot(path=str(artifacts / "checkin-queue-laptop.png"), full_page=True)
    first.get_by_label("Note").fill("Seizure reported; spoke to the patient, holding the dose.")
    first.get_by_role("button", name="Hold step").click()
    expect(page.get_by_text("Reviewed: hold.")).to_be_visible()
    expect(page.get_by_text("Nothing to review.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # The prescriber sees the new revision on the plan page.
    log_in(page, base, "dr-shah")
    page.goto(f"{base}/plans/{revision.plan_id}/")
    expect(page.get_by_test_id("plan-status")).to_have_text("In force · revision 2")
    expect(page.get_by_test_id("history")).to_contain_text("holding the dose")
    page.screenshot(path=str(artifacts / "checkin-prescriber-plan.png"), full_page=True)
    assert page.js_errors == []

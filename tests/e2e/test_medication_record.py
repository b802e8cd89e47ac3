"""A prescriber records what the patient takes, sees the withdrawal risk, starts the plan from
the record without retyping it, and signs it; the plan keeps the record it was built from."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.factories import ClinicFactory, PatientFactory, PrescriberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_record_regimen_see_risk_build_plan_from_it_and_sign(page, live_server, artifacts):
    clinic = ClinicFactory(name="Riverside", country="GB")
    PrescriberFactory(clinic=clinic, username="dr-shah", first_name="Asha", last_name="Shah")
    patient = PatientFactory(
        clinic=clinic,
        first_name="Mary",
        last_name="Jones",
        date_of_birth=datetime.date(1970, 3, 14),
    )
    base = live_server.url
    log_in(page, base, "dr-shah")  # password, then the authenticator code

    # Nothing recorded yet: the patient page says so and offers to record it.
    page.goto(f"{base}/patients/{patient.pk}/")
    record = page.get_by_test_id("medication-record")
    expect(record).to_contain_text("Nothing recorded yet")
    record.get_by_role("link", name="Record medicines").click()

    # Lorazepam 1 mg morning and night for years, every day; tramadol alongside.
    page.locator("#id_drug_1").select_option("lorazepam")
    page.locator("#id_drug_1_morning").fill("1")
    page.locator("#id_drug_1_night").fill("1")
    page.get_by_label("Taking benzodiazepines since").fill("2022-09-01")
    page.get_by_label("Days a week").select_option("7")
    page.get_by_label("Indication").select_option("anxiety")
    page.get_by_label("Opioids").check()
    page.locator("#id_other_1_name").fill("Tramadol 50 mg capsules")
    page.locator("#id_other_1_kind").select_option("opioid")
    page.get_by_role("button", name="Save record").click()

    # The risk at once: ASAM Table 2 row 5, and a slower start because of the opioid.
    record = page.get_by_test_id("medication-record")
    expect(record.get_by_test_id("risk-band")).to_contain_text(
        "Yes; greater with dose and duration"
    )
    expect(record.get_by_test_id("risk-band")).to_contain_text("ASAM 2025, Table 2")
    expect(record.get_by_test_id("daily-de")).to_contain_text("20 mg diazepam-equivalent a day")
    expect(record.get_by_test_id("suggested-pace")).to_contain_text(
        "5% of the current dose every 28 days"
    )
    expect(record.get_by_test_id("record-other")).to_contain_text("Tramadol 50 mg capsules")
    page.screenshot(path=str(artifacts / "medication-record-laptop.png"), full_page=True)

    # New taper plan: the builder starts from the record, the plan already built.
    page.get_by_test_id("new-plan").click()
    expect(page.get_by_test_id("from-record")).to_contain_text(
        "Filled in from the medication record"
    )
    expect(page.locator("#id_drug_1")).to_have_value("lorazepam")
    expect(page.locator("#id_drug_1_night")).to_have_value("1")
    expect(page.get_by_label("Reduction per step (%)")).to_have_value("5")
    expect(page.get_by_label("Takes opioids")).to_be_checked()
    expect(page.get_by_test_id("step-count")).to_have_text(re.compile(r"^\d+$"))
    page.screenshot(path=str(artifacts / "builder-from-record-laptop.png"), full_page=True)

    reasons = page.locator("textarea[name^=override__]")
    for i in range(reasons.count()):
        reasons.nth(i).fill("Reviewed with the patient")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("Draft · not signed")
    page.get_by_label("I have reviewed every step").check()
    # Signing renders the printable schedule (a long plan): allow a loaded CI machine time.
    page.get_by_role("button", name="Sign revision").click(timeout=90_000)
    expect(page.get_by_test_id("plan-status")).to_have_text("In force · revision 1", timeout=90_000)

    # The plan shows the record it was built from.
    snapshot = page.get_by_test_id("record-snapshot")
    expect(snapshot).to_contain_text("Lorazepam 1 mg morning, 1 mg night")
    expect(snapshot).to_contain_text("opioids")
    expect(page.get_by_test_id("record-changed")).to_have_count(0)
    page.screenshot(path=str(artifacts / "plan-with-record-laptop.png"), full_page=True)
    assert page.js_errors == []

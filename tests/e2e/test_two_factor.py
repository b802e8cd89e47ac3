"""Two-factor in a real browser: a prescriber without an authenticator is led through
enrolment (QR code, the key as text, a code to confirm, the recovery codes shown once); at the
next login the verify page asks for the code."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, authenticator_code, log_in
from tests.factories import ClinicFactory, PrescriberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def code_from_key(secret: str) -> str:
    """What an authenticator app shows for the key typed in by hand."""
    totp = TOTP(base64.b32decode(secret.replace(" ", "")))
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_prescriber_enrols_then_verifies_at_the_next_login(page, live_server, artifacts):
    clinic = ClinicFactory(name="Riverside", country="GB")
    PrescriberFactory(clinic=clinic, username="dr-new", first_name="Nia", last_name="New")
    base = live_server.url

    page.goto(f"{base}/patients/")
    page.get_by_label("Username").fill("dr-new")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Enrolment: the QR code and the key as text; nothing of the key in the address.
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7 ]{32,}", secret)
    assert secret.replace(" ", "") not in page.url
    expect(page.get_by_role("link", name="Patients", exact=True)).to_have_count(0)
    page.screenshot(path=str(artifacts / "two-factor-enrol.png"), full_page=True)

    page.get_by_label("Code from your authenticator app").fill(code_from_key(secret))
    page.get_by_role("button", name="Confirm and turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.screenshot(path=str(artifacts / "two-factor-recovery-codes.png"), full_page=True)
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page).to_have_url(f"{base}/patients/")

    page.get_by_role("link", name="Security").click()
    expect(page.get_by_test_id("two-factor-status")).to_contain_text("On")
    expect(page.get_by_text("10 recovery codes left.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # The next login: password, then the code.
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("dr-new")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    page.screenshot(path=str(artifacts / "two-factor-verify.png"), full_page=True)
    time.sleep(2.5)  # django-otp makes a retry after one wrong code wait 2 s
    page.get_by_label("Code from your authenticator app").fill(authenticator_code("dr-new"))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("link", name="Patients", exact=True)).to_be_visible()


def test_log_in_helper_types_the_code(page, live_server):
    clinic = ClinicFactory(name="Riverside", country="GB")
    PrescriberFactory(clinic=clinic, username="dr-shah")
    log_in(page, live_server.url, "dr-shah")
    expect(page.get_by_role("link", name="Patients", exact=True)).to_be_visible()

"""Response headers: ``Cache-Control: no-store`` wherever patient data may be, and a
Content-Security-Policy without inline script or style on every page; the pages need neither."""

from __future__ import annotations

import re

import pytest
import time_machine

from tests.checkins.helpers import IN_STEP_2, sent_invitation
from tests.factories import CheckInFactory
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db

TOKEN = "tok-" + "h" * 43


@pytest.fixture
def pages(patient, prescriber):
    plan_id = signed_plan(patient, prescriber).plan_id
    checkin = CheckInFactory(patient=patient)
    return {
        "dashboard": "/",
        "patient list": "/patients/?q=Archer",
        "patient page": f"/patients/{patient.pk}/",
        "patient form": f"/patients/{patient.pk}/edit/",
        "plan page": f"/plans/{plan_id}/",
        "builder": f"/patients/{patient.pk}/plans/new/",
        "dispensing page": f"/plans/{plan_id}/dispensing/",
        "check-in queue": "/checkins/",
        "check-in": f"/checkins/{checkin.pk}/",
        "api plan": f"/api/v1/plans/{plan_id}/",
        "api patients": "/api/v1/patients/",
        "api drugs": "/api/v1/drugs/",
        "api calendar": f"/api/v1/plans/{plan_id}/calendar.ics",
        "api schema": "/api/schema/",
    }


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_every_authenticated_page_and_api_response_is_no_store(prescriber_client, pages):
    for name, url in pages.items():
        response = prescriber_client.get(url)
        assert response.status_code in (200, 202), (name, response.status_code)
        assert no_store(response), (name, response.get("Cache-Control"))
        assert "private" in response["Cache-Control"], name


def test_refused_api_responses_are_no_store_too(client, nurse_client, patient):
    assert no_store(client.get("/api/v1/patients/"))  # anonymous: 401/403
    response = nurse_client.post("/api/v1/schedules/preview/", {}, content_type="application/json")
    assert response.status_code == 403 and no_store(response)


def test_the_patients_check_in_link_is_no_store(client, patient, prescriber):
    plan = signed_plan(patient, prescriber).plan
    sent_invitation(patient, plan, TOKEN)
    with time_machine.travel(IN_STEP_2, tick=False):
        response = client.get(f"/c/{TOKEN}/")
    assert response.status_code == 200
    assert no_store(response)
    assert no_store(client.get("/c/no-such-token/"))


def csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def test_every_page_has_a_strict_content_security_policy(client, prescriber_client, pages):
    responses = [client.get("/login/"), *(prescriber_client.get(url) for url in pages.values())]
    for response in responses:
        policy = csp(response)
        for directive in ("default-src", "script-src", "style-src", "img-src", "connect-src"):
            assert policy[directive] == "'self'", (directive, policy)
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert "unsafe" not in response["Content-Security-Policy"]


def test_admin_and_the_check_in_link_have_the_policy(client, clinic_admin, patient, prescriber):
    plan = signed_plan(patient, prescriber).plan
    sent_invitation(patient, plan, TOKEN)
    with time_machine.travel(IN_STEP_2, tick=False):
        assert csp(client.get(f"/c/{TOKEN}/"))["script-src"] == "'self'"
    client.force_login(clinic_admin)
    assert csp(client.get("/admin/"))["script-src"] == "'self'"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"|\son[a-z]+=\"")


def test_pages_have_no_inline_script_style_or_event_handler(
    client, prescriber_client, pages, patient, prescriber
):
    html_pages = {name: url for name, url in pages.items() if not name.startswith("api")}
    responses = {name: prescriber_client.get(url) for name, url in html_pages.items()}
    responses["login"] = client.get("/login/")
    for name, response in responses.items():
        page = response.content.decode()
        assert not INLINE_SCRIPT.search(page), (name, INLINE_SCRIPT.search(page))
        assert not INLINE_STYLE.search(page), (name, INLINE_STYLE.search(page))

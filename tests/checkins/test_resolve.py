"""The prescriber closes slow-down requests and escalations from the dashboard's worklist."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from checkins.models import Review
from tests.factories import CheckInFactory

pytestmark = pytest.mark.django_db

CLOSED_AT = datetime.datetime(2027, 1, 21, 15, 30, tzinfo=datetime.UTC)


def open_request(patient, nurse, action="slow", note="Two rises in a row."):
    return Review.objects.create(
        patient=patient,
        checkin=CheckInFactory(patient=patient),
        nurse=nurse,
        action=action,
        note=note,
        needs_prescriber=True,
    )


def requests_section(page: str) -> str:
    start = page.index("Slow-down requests and escalations")
    return page[start : page.index("Drafts to sign")]


@pytest.mark.parametrize("action", ["slow", "escalate"])
def test_done_closes_the_request_and_it_leaves_the_worklist(
    client, prescriber, nurse, patient, action
):
    request = open_request(patient, nurse, action=action)
    with time_machine.travel(CLOSED_AT, tick=False):
        client.force_login(prescriber)
        before = requests_section(client.get("/").content.decode())
        assert "Two rises in a row." in before
        assert f"/checkins/requests/{request.pk}/done/" in before
        response = client.post(
            f"/checkins/requests/{request.pk}/done/", {"note": "Slowed to 5% cuts."}
        )
        assert response.status_code == 302 and response["Location"] == "/"
        after = requests_section(client.get("/").content.decode())
    assert "Two rises in a row." not in after and "No requests from the nurses." in after

    request.refresh_from_db()
    assert (request.resolved_by, request.resolved_at, request.resolution_note) == (
        prescriber,
        CLOSED_AT,
        "Slowed to 5% cuts.",
    )
    latest = request.history.first()
    assert latest.history_user == prescriber
    assert latest.resolution_note == "Slowed to 5% cuts." and latest.resolved_at == CLOSED_AT


def test_done_needs_a_note(prescriber_client, nurse, patient):
    request = open_request(patient, nurse)
    response = prescriber_client.post(f"/checkins/requests/{request.pk}/done/", {"note": "  "})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.resolved_at is None
    assert "Two rises in a row." in requests_section(prescriber_client.get("/").content.decode())


def test_a_nurse_cannot_close_a_request_nor_sees_the_form(nurse_client, nurse, patient):
    request = open_request(patient, nurse)
    assert "resolve-form" not in nurse_client.get("/").content.decode()
    response = nurse_client.post(f"/checkins/requests/{request.pk}/done/", {"note": "Done it."})
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.resolved_at is None


def test_done_is_post_only(prescriber_client, nurse, patient):
    request = open_request(patient, nurse)
    assert prescriber_client.get(f"/checkins/requests/{request.pk}/done/").status_code == 405


def test_another_clinics_request_is_404(client, other_prescriber, nurse, patient):
    request = open_request(patient, nurse)
    client.force_login(other_prescriber)
    response = client.post(f"/checkins/requests/{request.pk}/done/", {"note": "Done it."})
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.resolved_at is None


def test_closing_twice_keeps_the_first_close(client, prescriber, nurse, patient):
    request = open_request(patient, nurse)
    client.force_login(prescriber)
    url = f"/checkins/requests/{request.pk}/done/"
    client.post(url, {"note": "First close."})
    client.post(url, {"note": "Second close."})
    request.refresh_from_db()
    assert request.resolution_note == "First close."
    assert request.history.filter(resolution_note="Second close.").count() == 0

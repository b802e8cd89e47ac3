"""Bands are shown in the instrument's words ("Moderate withdrawal"), never as their key."""

from __future__ import annotations

import pytest

from checkins.instruments import CIWA_B
from tests.factories import CheckInFactory

pytestmark = pytest.mark.django_db

VERY_SEVERE = next(b for b in CIWA_B.bands if b.key == "very_severe")
MODERATE = next(b for b in CIWA_B.bands if b.key == "moderate")


def banded(patient, band, **fields):
    return CheckInFactory(
        patient=patient, band=band.key, partial=False, max=80, total=band.low, **fields
    )


def test_the_queue_shows_the_band_label_not_its_key(nurse_client, patient):
    banded(patient, VERY_SEVERE, urgent=True, severity=4)
    banded(patient, MODERATE, severity=2)
    page = nurse_client.get("/checkins/").content.decode()
    assert "Very severe withdrawal" in page and "Moderate withdrawal" in page
    assert "very_severe" not in page
    assert ">moderate" not in page and " moderate\n" not in page


def test_the_check_in_page_shows_the_band_label(nurse_client, patient):
    checkin = banded(patient, VERY_SEVERE, urgent=True, severity=4)
    page = nurse_client.get(f"/checkins/{checkin.pk}/").content.decode()
    assert "· Very severe withdrawal" in page
    assert "very_severe" not in page


def test_the_dashboard_alert_shows_the_band_label(prescriber_client, patient):
    banded(patient, VERY_SEVERE, urgent=True, severity=4)
    page = prescriber_client.get("/").content.decode()
    alerts = page[page.index('data-testid="alerts"') :].split("</ul>")[0]
    assert "Very severe withdrawal" in alerts and "very_severe" not in alerts


def test_the_api_keeps_the_key_and_adds_the_label(nurse_client, patient):
    banded(patient, MODERATE, severity=2)
    [row] = nurse_client.get("/api/v1/checkins/queue/").json()["results"]
    assert (row["band"], row["band_label"]) == ("moderate", "Moderate withdrawal")


def test_a_partial_check_in_has_no_band_words(nurse_client, patient):
    CheckInFactory(patient=patient)  # self-report only: partial, no band
    page = nurse_client.get("/checkins/").content.decode()
    assert "self-report, not banded" in page and "withdrawal" not in page.lower()

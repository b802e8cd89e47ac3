"""The pages every user can meet: styled 403 and 404 (DEBUG off, as in production), the icon."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, override_settings
from django.urls import reverse

from tests.plan_helpers import draft_plan

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def test_404_is_the_app_page_with_its_navigation(nurse_client, settings):
    assert settings.DEBUG is False  # Django's technical 404 only shows with DEBUG on
    response = nurse_client.get("/no-such-page/")
    assert response.status_code == 404
    page = text(response)
    assert "Page not found" in page
    assert 'class="topbar"' in page and reverse("patients:list") in page  # the navigation
    assert "Log out" in page
    assert reverse("dashboard") in page
    assert "/static/css/app.css" in page


def test_another_clinics_patient_is_the_same_404(client, other_prescriber, patient):
    client.force_login(other_prescriber)
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 404
    assert "Page not found" in text(response)
    assert patient.last_name not in text(response)


def test_404_for_a_visitor_offers_the_login(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = text(response)
    assert "Page not found" in page and reverse("login") in page
    assert "Log out" not in page


def test_403_explains_the_role_in_the_app_page(nurse_client, nurse, patient, prescriber):
    draft = draft_plan(patient, prescriber)
    response = nurse_client.post(reverse("schedules:sign", args=[draft.plan_id]), {"confirm": "on"})
    assert response.status_code == 403
    page = text(response)
    assert "You cannot do this" in page
    assert f"You are logged in as {nurse.display_name()} (Nurse)" in page
    assert "only a prescriber signs a plan" in page
    assert 'class="topbar"' in page and reverse("patients:list") in page
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_every_page_links_the_icon(client):
    page = text(client.get(reverse("login")))
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert 'href="/static/favicon.ico"' in page
    svg = finders.find("favicon.svg")
    assert svg and Path(svg).read_text().startswith("<svg")


@override_settings(WHITENOISE_USE_FINDERS=True)  # serve static/ as `make run` does
def test_favicon_ico_is_not_a_404():
    response = Client().get("/favicon.ico", follow=True)
    assert response.redirect_chain == [("/static/favicon.ico", 302)]
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")

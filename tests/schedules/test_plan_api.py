"""Plans API: create, read, sign, hold; clinic scoping."""

from __future__ import annotations

import json

import pytest

from tests.plan_helpers import preview_body, signed_plan

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_create_read_sign_flow(prescriber_client, patient):
    response = post(
        prescriber_client,
        f"/api/v1/patients/{patient.pk}/plans/",
        {**preview_body(), "overrides": []},
    )
    assert response.status_code == 201, response.content
    plan = response.json()
    assert plan["status"] == "draft" and plan["draft"]["steps"] and plan["in_force"] is None
    plan_id = plan["id"]
    response = post(prescriber_client, f"/api/v1/plans/{plan_id}/sign/", {"confirm": True})
    assert response.status_code == 200, response.content
    data = prescriber_client.get(f"/api/v1/plans/{plan_id}/").json()
    assert data["status"] == "active"
    assert data["in_force"]["signed_by"] and data["status"] == "active" and data["draft"] is None
    assert [r["status"] for r in data["revisions"]] == ["signed"]


def test_sign_without_confirmation_is_400(prescriber_client, patient):
    plan_id = post(
        prescriber_client, f"/api/v1/patients/{patient.pk}/plans/", preview_body()
    ).json()["id"]
    response = post(prescriber_client, f"/api/v1/plans/{plan_id}/sign/", {})
    assert response.status_code == 400
    assert "confirm" in response.json()["errors"]


def test_bad_plan_body_is_400_and_writes_nothing(prescriber_client, patient):
    response = post(
        prescriber_client,
        f"/api/v1/patients/{patient.pk}/plans/",
        preview_body(interval_days=0),
    )
    assert response.status_code == 400
    assert "interval_days" in response.json()["errors"]
    assert not patient.plans.exists()


def test_nurse_holds_but_cannot_create_or_sign(nurse_client, patient, prescriber):
    revision = signed_plan(patient, prescriber)
    plan_id = revision.plan_id
    assert (
        post(nurse_client, f"/api/v1/patients/{patient.pk}/plans/", preview_body()).status_code
        == 403
    )
    assert (
        post(nurse_client, f"/api/v1/plans/{plan_id}/sign/", {"confirm": True}).status_code == 403
    )
    response = post(
        nurse_client, f"/api/v1/plans/{plan_id}/hold/", {"days": 7, "reason": "Symptoms up"}
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["revisions"]) == 2


def test_another_clinics_plan_is_404_everywhere(client, other_prescriber, patient, prescriber):
    revision = signed_plan(patient, prescriber)
    client.force_login(other_prescriber)
    plan_id = revision.plan_id
    assert client.get(f"/api/v1/plans/{plan_id}/").status_code == 404
    assert (
        post(client, f"/api/v1/plans/{plan_id}/hold/", {"days": 7, "reason": "x y z"}).status_code
        == 404
    )
    assert post(client, f"/api/v1/plans/{plan_id}/sign/", {"confirm": True}).status_code == 404
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 404
    assert post(client, f"/api/v1/patients/{patient.pk}/plans/", preview_body()).status_code == 404


def test_patients_api_list_search_create_and_patch(prescriber_client, patient, other_patient):
    listing = prescriber_client.get("/api/v1/patients/").json()
    assert [p["id"] for p in listing] == [patient.pk]
    assert prescriber_client.get("/api/v1/patients/", {"q": "zzz-nobody"}).json() == []
    response = post(
        prescriber_client,
        "/api/v1/patients/",
        {
            "mrn": "NEW-1",
            "first_name": "Nia",
            "last_name": "New",
            "date_of_birth": "1980-02-02",
            "email": "nia@example.com",
        },
    )
    assert response.status_code == 201, response.content
    duplicate = post(
        prescriber_client,
        "/api/v1/patients/",
        {
            "mrn": "NEW-1",
            "first_name": "Dup",
            "last_name": "Dup",
            "date_of_birth": "1980-02-02",
            "email": "dup@example.com",
        },
    )
    assert duplicate.status_code == 400
    assert "mrn" in duplicate.json()["errors"]
    response = prescriber_client.patch(
        f"/api/v1/patients/{patient.pk}/",
        json.dumps({"phone": "07700 900456"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["phone"] == "07700 900456"
    detail = prescriber_client.get(f"/api/v1/patients/{patient.pk}/").json()
    assert "current_plan" in detail and "latest_checkin" in detail


def test_future_date_of_birth_is_refused_by_the_api(prescriber_client):
    response = post(
        prescriber_client,
        "/api/v1/patients/",
        {
            "mrn": "F-1",
            "first_name": "Fu",
            "last_name": "Ture",
            "date_of_birth": "2999-01-01",
            "email": "f@example.com",
        },
    )
    assert response.status_code == 400
    assert "date_of_birth" in response.json()["errors"]

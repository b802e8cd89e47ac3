"""A body over the size limit gets the API's JSON 400 on every API route that takes one, with a
session or a token, and nothing is saved."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from knox.models import AuthToken

from patients.models import Patient
from tests.plan_helpers import signed_plan
from tests.security.routes import all_routes

pytestmark = pytest.mark.django_db
LIMIT = 16 * 1024


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT)
@pytest.mark.parametrize("auth", ["session", "token"])
def test_every_api_body_over_the_limit_is_a_json_400(client, patient, prescriber, auth):
    revision = signed_plan(patient, prescriber)
    headers = {}
    if auth == "token":
        _instance, token = AuthToken.objects.create(prescriber)
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    else:
        client.force_login(prescriber)
    ids = {"patient_id": patient.pk, "plan_id": revision.plan_id, "checkin_id": 1}
    body = json.dumps({"padding": "x" * (LIMIT * 2)})
    patients_before = Patient.objects.count()
    checked = 0
    for route in all_routes():
        if not route.is_api or route.name == "api-schema":
            continue
        for method in ("post", "put", "patch"):
            response = getattr(client, method)(
                route.url(ids, ""), data=body, content_type="application/json", **headers
            )
            if response.status_code == 405:
                continue  # the route takes no body with this method
            checked += 1
            assert response.status_code == 400, (method, route.name, response.status_code)
            assert "larger than" in response.json()["errors"]["body"][0], route.name
    assert checked >= 10
    assert Patient.objects.count() == patients_before

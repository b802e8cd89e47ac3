"""Bad input is a 400 with the API's error shape, never a 500: lone surrogates, NUL characters
and deeply nested JSON in every JSON body; lone surrogates in HTML form posts."""

from __future__ import annotations

import json

import pytest

from checkins.models import Review
from taper_clinic.parsers import (
    BAD_CHARACTER,
    MAX_JSON_DEPTH,
    TOO_DEEP,
    has_bad_characters,
    json_depth_exceeds,
)
from tests.factories import CheckInFactory
from tests.plan_helpers import preview_body, signed_plan

pytestmark = pytest.mark.django_db

SURROGATE = "\ud800"
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def routes(patient, prescriber):
    """Every JSON body the API takes, each with a valid body to spoil."""
    plan_id = signed_plan(patient, prescriber).plan_id
    checkin = CheckInFactory(patient=patient)
    return [
        ("post", "/api/v1/schedules/preview/", preview_body()),
        ("post", f"/api/v1/patients/{patient.pk}/plans/", {**preview_body(), "supersede": True}),
        ("post", f"/api/v1/plans/{plan_id}/sign/", {"confirm": True}),
        ("post", f"/api/v1/plans/{plan_id}/hold/", {"days": 7, "reason": "Symptoms up"}),
        ("post", "/api/v1/patients/", {"mrn": "X1", "first_name": "Ann", "last_name": "Lee"}),
        ("patch", f"/api/v1/patients/{patient.pk}/", {"first_name": "Ann"}),
        ("post", f"/api/v1/checkins/{checkin.pk}/review/", {"action": "continue", "note": "ok"}),
        ("post", f"/api/v1/patients/{patient.pk}/checkins/", {"instrument": "ciwa-b"}),
    ]


def send(client, method, url, raw: bytes):
    client.raise_request_exception = False
    return getattr(client, method)(url, raw, content_type="application/json")


def spoil(body, bad):
    """The body with ``bad`` in its first string value (or a new key when it has none)."""
    body = json.loads(json.dumps(body))
    for key, value in body.items():
        if isinstance(value, str):
            body[key] = value + bad
            return body
    body["drug" + bad] = bad
    return body


@pytest.mark.parametrize("bad", [SURROGATE, "\x00"], ids=["lone-surrogate", "nul"])
def test_bad_characters_in_any_json_body_are_400(prescriber_client, routes, bad):
    for method, url, body in routes:
        raw = json.dumps(spoil(body, bad)).encode()  # ASCII JSON: "\ud800" / "\u0000" escapes
        response = send(prescriber_client, method, url, raw)
        assert response.status_code == 400, (url, response.status_code)
        assert response.json() == {"errors": {"body": [BAD_CHARACTER]}}, url


def test_a_lone_surrogate_in_a_nested_string_or_key_is_400(prescriber_client, routes):
    method, url, body = routes[0]  # the preview: its regimen is parsed by the engine
    for spoiled in (
        {**body, "regimen": [{"drug": "diazepam" + SURROGATE, "doses": {"morning": "5"}}]},
        {**body, "regimen": [{"drug": "diazepam", "doses": {"morning" + SURROGATE: "5"}}]},
    ):
        response = send(prescriber_client, method, url, json.dumps(spoiled).encode())
        assert response.status_code == 400
        assert response.json() == {"errors": {"body": [BAD_CHARACTER]}}


def test_json_nested_100000_deep_is_400_on_every_route(prescriber_client, routes):
    for method, url, _body in routes:
        response = send(prescriber_client, method, url, DEEP.encode())
        assert response.status_code == 400, (url, response.status_code)
        assert response.json() == {"errors": {"body": [TOO_DEEP]}}, url


def test_depth_limit_counts_brackets_outside_strings_only():
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert not json_depth_exceeds(at_limit)
    assert json_depth_exceeds("[" + at_limit + "]")
    assert not json_depth_exceeds(json.dumps({"note": "[" * 1000 + '\\" {{{'}))
    assert json_depth_exceeds('{"a": "]]]", "b": ' + "[" * 65 + "]" * 65 + "}")


def test_bad_character_check_walks_keys_and_values():
    assert not has_bad_characters({"a": ["b", 1, None, {"c": "é"}]})
    assert has_bad_characters({"a": ["b", {"c" + SURROGATE: 1}]})
    assert has_bad_characters([["\udfff"]])
    assert has_bad_characters({"a": "x\x00"})


def test_a_rejected_body_changes_nothing(prescriber_client, patient, routes):
    method, url, _body = routes[1]
    plans_before = patient.plans.count()
    send(prescriber_client, method, url, json.dumps(spoil(preview_body(), SURROGATE)).encode())
    assert patient.plans.count() == plans_before
    assert not Review.objects.exists()


def test_invalid_utf8_body_is_400(prescriber_client):
    response = send(prescriber_client, "post", "/api/v1/schedules/preview/", b'{"a": "\xff"}')
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["body"]


# HTML forms -----------------------------------------------------------------------------------

# A lone surrogate as a browser-less client would send it: the surrogate's bytes, percent-encoded.
SURROGATE_BYTES = "%ED%A0%80"


def test_patient_form_with_a_lone_surrogate_is_not_a_500(prescriber_client, patient):
    prescriber_client.raise_request_exception = False
    body = (
        f"first_name=Ann{SURROGATE_BYTES}&last_name=Lee&mrn=RX-9&date_of_birth=1961-03-14"
        "&email=ann%40example.org&time_zone=Europe%2FLondon&reminder_weekday=0"
        "&reminder_time=09%3A00"
    )
    for url in ("/patients/new/", f"/patients/{patient.pk}/edit/"):
        response = prescriber_client.post(
            url, body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code in (200, 302), (url, response.status_code)


def test_patient_form_with_a_nul_is_a_form_error(prescriber_client):
    response = prescriber_client.post(
        "/patients/new/",
        {
            "first_name": "Ann\x00",
            "last_name": "Lee",
            "mrn": "RX-9",
            "date_of_birth": "1961-03-14",
            "email": "ann@example.org",
            "time_zone": "Europe/London",
            "reminder_weekday": "0",
            "reminder_time": "09:00",
        },
    )
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()


def test_login_form_with_a_lone_surrogate_is_not_a_500(client, prescriber):
    client.raise_request_exception = False
    for body in (
        f"username=dr-shah{SURROGATE_BYTES}&password=secret-password",
        f"username=dr-shah&password=x{SURROGATE_BYTES}",
        "username=dr-shah%00&password=x",
    ):
        response = client.post("/login/", body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200, (body, response.status_code)

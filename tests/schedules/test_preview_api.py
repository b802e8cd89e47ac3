"""POST /api/v1/schedules/preview/: the contract in DESIGN.md, and bad input as 400s."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from schedules.models import PlanRevision, TaperPlan
from tests.plan_helpers import crossover_body, preview_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/schedules/preview/"


def post(client, body, **extra):
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, payload, content_type="application/json", **extra)


def test_url_is_the_documented_one():
    assert reverse("api-schedule-preview") == URL


def test_preview_returns_the_documented_shape(prescriber_client):
    response = post(prescriber_client, crossover_body())
    assert response.status_code == 200, response.content
    data = response.json()
    assert set(data) >= {
        "start_equivalent_mg",
        "equivalence",
        "steps",
        "violations",
        "warnings",
        "total_days",
        "algorithm_version",
    }
    assert data["start_equivalent_mg"] == "60"  # alprazolam 3 mg at Ashton 0.5 mg ≡ 10 mg
    assert data["equivalence"]["source"] == "ashton-2007"
    assert "range_note" in data["equivalence"]
    first = data["steps"][0]
    assert first["index"] == 1 and first["start_date"] == "2027-01-04"
    assert first["phase"] == "crossover"
    for step in data["steps"]:
        for dose in step["doses"]:
            total = sum(Decimal(u["count"]) * Decimal(u["strength_mg"]) for u in dose["units"])
            assert total == Decimal(dose["mg"])
    last = data["steps"][-1]
    assert last["phase"] == "stop" and last["doses"] == []
    assert data["total_days"] == sum(step["days"] for step in data["steps"])


def test_preview_is_deterministic_and_writes_nothing(prescriber_client):
    first = post(prescriber_client, preview_body()).json()
    second = post(prescriber_client, preview_body()).json()
    assert first == second
    assert not TaperPlan.objects.exists() and not PlanRevision.objects.exists()


def test_disagreeing_sources_are_warned_about(prescriber_client):
    data = post(prescriber_client, crossover_body()).json()
    assert any(w["rule"] == "sources-disagree" for w in data["warnings"])


def test_fast_reduction_is_a_violation_not_a_refusal(prescriber_client):
    data = post(prescriber_client, preview_body(reduction_percent="40")).json()
    rules = {v["rule"] for v in data["violations"]}
    assert "max-25-percent-per-14-days" in rules
    violation = next(v for v in data["violations"] if v["rule"] == "max-25-percent-per-14-days")
    assert violation["source"].startswith("ASAM")


def test_only_prescribers_may_preview(nurse_client, client):
    assert post(nurse_client, preview_body()).status_code == 403
    assert post(client, preview_body()).status_code in (401, 403)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"regimen": [{"drug": "unobtainium", "doses": {"night": "1"}}]}, "regimen.0.drug"),
        ({"regimen": [{"drug": "diazepam", "doses": {"teatime": "5"}}]}, "regimen.0.doses.teatime"),
        ({"regimen": [{"drug": "diazepam", "doses": {"night": "-5"}}]}, "regimen.0.doses.night"),
        ({"regimen": [{"drug": "diazepam", "doses": {"night": "0"}}]}, "regimen.0.doses.night"),
        ({"regimen": [{"drug": "diazepam", "doses": {"night": "5000"}}]}, "regimen.0.doses"),
        ({"regimen": [{"drug": "diazepam", "doses": {"night": "ten"}}]}, "regimen.0.doses.night"),
        ({"regimen": []}, "regimen"),
        ({"country": "FR"}, "country"),
        ({"equivalence_source": "my-aunt"}, "equivalence_source"),
        ({"strategy": "cold-turkey"}, "strategy"),
        ({"interval_days": 0}, "interval_days"),
        ({"interval_days": 400}, "interval_days"),
        ({"reduction_percent": "0"}, "reduction_percent"),
        ({"reduction_percent": "100"}, "reduction_percent"),
        ({"start_date": "2027-02-30"}, "start_date"),
        ({"target_mg": "50"}, "target_mg"),
        ({"target_mg": "-1"}, "target_mg"),
    ],
)
def test_bad_input_is_a_specific_400_per_field(prescriber_client, change, field):
    response = post(prescriber_client, preview_body(**change))
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    assert all(isinstance(m, str) and len(m) > 10 for m in errors[field])


def test_linear_without_step_mg_is_a_400(prescriber_client):
    response = post(prescriber_client, preview_body(strategy="linear", reduction_percent=None))
    assert response.status_code == 400
    assert "step_mg" in response.json()["errors"]


def test_non_json_is_a_400(prescriber_client):
    response = post(prescriber_client, "{not json")
    assert response.status_code == 400
    assert "body" in response.json()["errors"]


def test_json_that_is_not_an_object_is_a_400(prescriber_client):
    response = post(prescriber_client, "[1, 2, 3]")
    assert response.status_code == 400
    assert "body" in response.json()["errors"]


def test_absurdly_large_body_is_a_400(prescriber_client):
    body = preview_body(padding="x" * 400_000)
    response = post(prescriber_client, body)
    assert response.status_code == 400
    assert "larger than" in response.json()["errors"]["body"][0]


def test_an_engine_failure_is_a_400_not_a_500(prescriber_client, monkeypatch):
    from schedules import engine

    def broken(*args, **kwargs):
        raise ValueError("diazepam 0.06 mg cannot be made from GB products")

    monkeypatch.setattr(engine, "build_plan", broken)
    response = post(prescriber_client, preview_body())
    assert response.status_code == 400
    assert "could not be built" in response.json()["errors"]["plan"][0]

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_drugs_lists_equivalents_with_source_and_citation(prescriber_client):
    response = prescriber_client.get(reverse("api-drugs"))
    assert response.status_code == 200
    drugs = {d["slug"]: d for d in response.json()}
    alprazolam = drugs["alprazolam"]
    sources = {e["source"]: e for e in alprazolam["equivalents"]}
    assert sources["ashton-2007"]["mg"] == "0.5000" or sources["ashton-2007"]["mg"] == "0.5"
    assert sources["va-dod-2021"]["citation"]
    assert alprazolam["half_life"]["low_h"] == "6"


def test_products_filter_by_country(prescriber_client):
    response = prescriber_client.get(reverse("api-products"), {"country": "GB"})
    assert response.status_code == 200
    products = response.json()
    assert products and {p["country"] for p in products} == {"GB"}
    assert any(p["slug"] == "diazepam-2mg-5ml-solution" and p["mg_per_ml"] for p in products)


def test_unknown_country_is_a_specific_400(prescriber_client):
    response = prescriber_client.get(reverse("api-products"), {"country": "FR"})
    assert response.status_code == 400
    assert "Unknown country" in response.json()["errors"]["country"][0]


def test_catalogue_is_staff_only(client, django_user_model):
    assert client.get(reverse("api-drugs")).status_code in (401, 403)
    client.force_login(django_user_model.objects.create_user("outsider", password="x"))
    assert client.get(reverse("api-drugs")).status_code == 403


def test_openapi_schema_is_served(prescriber_client):
    response = prescriber_client.get(reverse("api-schema"))
    assert response.status_code == 200
    assert b"/api/v1/drugs/" in response.content


def test_products_give_release_and_the_label_every_output_uses(prescriber_client):
    response = prescriber_client.get(reverse("api-products"), {"country": "GB"})
    products = {p["slug"]: p for p in response.json()}
    clonazepam = products["clonazepam-0-5mg-5ml-solution"]
    assert clonazepam["label"] == "clonazepam 0.5 mg/5 mL oral solution"
    assert clonazepam["release"] == "ir"
    assert products["diazepam-2mg-5ml-solution"]["label"] == "diazepam 2 mg/5 mL oral solution"
    assert products["diazepam-2mg-tablet"]["label"] == "diazepam 2 mg tablet"
    assert {
        "slug",
        "drug",
        "form",
        "strength_mg",
        "mg_per_ml",
        "scored",
        "splits",
        "verified",
    } <= set(clonazepam)


def test_us_products_label_extended_release_capsules_and_concentrates(prescriber_client):
    response = prescriber_client.get(reverse("api-products"), {"country": "US"})
    products = {p["slug"]: p for p in response.json()}
    er = products["alprazolam-1mg-er-tablet"]
    assert (er["release"], er["label"]) == ("er", "alprazolam 1 mg extended-release tablet")
    assert products["temazepam-15mg-capsule"]["label"] == "temazepam 15 mg capsule"
    assert products["diazepam-5mg-ml-concentrate"]["label"] == "diazepam 5 mg/mL oral concentrate"
    assert products["clonazepam-0-25mg-odt"]["label"] == (
        "clonazepam 0.25 mg orally disintegrating tablet"
    )

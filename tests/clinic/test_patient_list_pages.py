"""The patient list is paginated (50 a page, the search kept across pages) and costs the same
queries whatever the clinic's size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PatientFactory
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db


def test_the_patient_list_shows_page_two(prescriber_client, clinic):
    for i in range(60):
        PatientFactory(clinic=clinic, last_name=f"Paged{i:02d}", first_name="Pat")
    first = prescriber_client.get("/patients/").content.decode()
    assert "Paged00" in first and "Paged49" in first and "Paged50" not in first
    assert 'href="?page=2"' in first and "Page 1" in first
    second = prescriber_client.get("/patients/", {"page": 2}).content.decode()
    assert "Paged50" in second and "Paged59" in second and "Paged49" not in second
    assert 'href="?page=1"' in second and "Page 2" in second and "page=3" not in second
    assert "Paged" not in prescriber_client.get("/patients/", {"page": 3}).content.decode()


def test_the_search_is_kept_on_the_next_page(prescriber_client, clinic):
    for i in range(55):
        PatientFactory(clinic=clinic, last_name=f"Harrow{i:02d}")
    PatientFactory(clinic=clinic, last_name="Other")
    page = prescriber_client.get("/patients/", {"q": "harrow"}).content.decode()
    assert 'href="?q=harrow&amp;page=2"' in page and "Other" not in page
    second = prescriber_client.get("/patients/", {"q": "harrow", "page": 2}).content.decode()
    assert "Harrow54" in second and "Harrow00" not in second


def test_the_patient_list_costs_the_same_queries_for_3_or_60_patients(
    prescriber_client, clinic, prescriber, django_assert_max_num_queries
):
    for _ in range(3):
        signed_plan(PatientFactory(clinic=clinic), prescriber)
    prescriber_client.get("/patients/")
    with CaptureQueriesContext(connection) as small:
        assert prescriber_client.get("/patients/").status_code == 200
    for _ in range(57):
        PatientFactory(clinic=clinic)
    with django_assert_max_num_queries(len(small)):
        assert prescriber_client.get("/patients/", {"page": 2}).status_code == 200

"""``GET /api/v1/patients/`` is paginated: the body stays a JSON array, the page is chosen with
``?limit=`` and ``?offset=``, and told by ``X-Total-Count`` and an RFC 8288 ``Link`` header."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients/"


def links(response) -> dict[str, str]:
    """``{rel: url}`` from the response's Link header."""
    return {
        rel: url for url, rel in re.findall(r'<([^>]+)>;\s*rel="([^"]+)"', response.get("Link", ""))
    }


@pytest.fixture
def many(clinic):
    return PatientFactory.create_batch(120, clinic=clinic)


def test_the_first_page_is_50_patients_with_the_total_and_a_next_link(prescriber_client, many):
    response = prescriber_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list) and len(body) == 50
    assert response["X-Total-Count"] == "120"
    assert set(links(response)) == {"next"}
    assert links(response)["next"] == "http://testserver/api/v1/patients/?limit=50&offset=50"


def test_following_next_gives_every_patient_once_in_order(prescriber_client, many, patient):
    seen, url, pages = [], URL + "?limit=35", 0
    while url:
        response = prescriber_client.get(url)
        assert response.status_code == 200
        seen += [p["id"] for p in response.json()]
        url = links(response).get("next")
        pages += 1
    assert pages == 4  # 121 patients: 35 + 35 + 35 + 16
    assert len(seen) == len(set(seen)) == 121
    names = {p.pk: (p.last_name, p.first_name, p.pk) for p in [*many, patient]}
    assert [names[i] for i in seen] == sorted(names.values())


def test_the_last_page_has_a_prev_link_and_no_next(prescriber_client, many):
    response = prescriber_client.get(URL, {"limit": "30", "offset": "100"})
    assert len(response.json()) == 20
    assert set(links(response)) == {"prev"}
    assert links(response)["prev"].endswith("?limit=30&offset=70")


def test_past_the_end_is_an_empty_array_with_the_total(prescriber_client, many):
    response = prescriber_client.get(URL, {"offset": "500"})
    assert response.status_code == 200 and response.json() == []
    assert response["X-Total-Count"] == "120"


def test_up_to_200_per_page(prescriber_client, clinic):
    PatientFactory.create_batch(205, clinic=clinic)
    response = prescriber_client.get(URL, {"limit": "200"})
    assert len(response.json()) == 200
    assert links(response)["next"].endswith("?limit=200&offset=200")


def test_a_search_counts_its_matches_and_keeps_the_term_in_the_links(prescriber_client, clinic):
    PatientFactory.create_batch(7, clinic=clinic, last_name="Archer")
    PatientFactory.create_batch(5, clinic=clinic, last_name="Baker")
    response = prescriber_client.get(URL, {"q": "archer", "limit": "5"})
    assert [p["last_name"] for p in response.json()] == ["Archer"] * 5
    assert response["X-Total-Count"] == "7"
    nxt = prescriber_client.get(links(response)["next"])
    assert links(response)["next"].endswith("?q=archer&limit=5&offset=5")
    assert [p["last_name"] for p in nxt.json()] == ["Archer"] * 2


def test_another_clinics_patients_are_neither_listed_nor_counted(
    prescriber_client, patient, other_clinic
):
    PatientFactory.create_batch(3, clinic=other_clinic)
    response = prescriber_client.get(URL)
    assert [p["id"] for p in response.json()] == [patient.pk]
    assert response["X-Total-Count"] == "1" and "Link" not in response


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "5.0"}, "limit"),
        ({"limit": "\u0665"}, "limit"),  # Arabic-Indic five
        ({"limit": ""}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "1e3"}, "offset"),
        ({"offset": "99999999999999999999999"}, "offset"),
        ({"q": "x" * 101}, "q"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_bad_page_parameters_are_a_specific_400(prescriber_client, patient, params, field):
    response = prescriber_client.get(URL, params)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field] and errors[field][0]


def test_the_number_of_queries_does_not_grow_with_the_page(prescriber_client, clinic, nurse):
    def queries_for(count: int) -> int:
        PatientFactory.create_batch(count, clinic=clinic, nurse=nurse)
        with CaptureQueriesContext(connection) as captured:
            response = prescriber_client.get(URL, {"limit": "200"})
        assert response.status_code == 200
        return len(captured)

    small = queries_for(3)
    large = queries_for(180)  # 183 patients: one page of 183
    assert small == large


@pytest.mark.parametrize("count", [1, 200])
def test_a_page_stays_within_the_query_budget(
    prescriber_client, clinic, nurse, django_assert_max_num_queries, count
):
    PatientFactory.create_batch(count, clinic=clinic, nurse=nurse)
    # the session, the user, the two-factor device; then the count and the page
    with django_assert_max_num_queries(5):
        response = prescriber_client.get(URL, {"limit": "200"})
    assert len(response.json()) == count

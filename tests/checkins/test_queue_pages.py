"""The nurse's queue page shows page two, in the queue's order across the page boundary, and
reads only the page it shows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkins.selectors import review_queue
from tests.factories import CheckInFactory, InvitationFactory
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db

BASE = datetime.datetime(2027, 1, 10, 9, tzinfo=datetime.UTC)


@pytest.fixture
def plan(patient, prescriber):
    return signed_plan(patient, prescriber).plan


def at(hours: int) -> datetime.datetime:
    return BASE + datetime.timedelta(hours=hours)


def test_the_queue_page_shows_page_two(nurse_client, patient, plan):
    urgent = [CheckInFactory(patient=patient, urgent=True, created_at=at(i)) for i in range(20)]
    missed = [
        InvitationFactory(
            patient=patient,
            plan=plan,
            status="missed",
            week_start=datetime.date(2026, 1, 5) + datetime.timedelta(weeks=i),
            due_at=at(100 + i),
            expires_at=at(300 + i),
        )
        for i in range(10)
    ]
    mild = [CheckInFactory(patient=patient, severity=1, created_at=at(200 + i)) for i in range(5)]
    first = nurse_client.get("/checkins/").content.decode()
    assert first.count('data-testid="queue-row"') == 25
    assert first.count('data-kind="missed"') == 5 and "1 / 2" in first
    second = nurse_client.get("/checkins/", {"page": 2}).content.decode()
    assert second.count('data-kind="missed"') == 5
    assert second.count('data-kind="checkin"') == 5
    assert f"/checkins/{mild[0].pk}/" in second and f"/checkins/{urgent[0].pk}/" not in second
    assert "2 / 2" in second
    rows = review_queue(patient.prescriber)
    assert [r.id for r in rows[20:30]] == [i.pk for i in missed]
    assert rows[-1].id == mild[-1].pk and len(rows) == 35


def test_the_queue_reads_only_the_rows_of_the_page(patient, plan, nurse):
    for i in range(30):
        CheckInFactory(patient=patient, severity=1 + i % 3, created_at=at(i))
    queue = review_queue(nurse)
    with CaptureQueriesContext(connection) as queries:
        rows = queue[25:50]
    assert len(rows) == 5
    # The page's part reads its five rows; the two parts off the page read one row each (which
    # keeps the number of queries the same for every page), never more.
    limits = sorted(
        q["sql"].rsplit("LIMIT", 1)[1].split()[0]
        for q in queries.captured_queries
        if "LIMIT" in q["sql"]
    )
    assert limits == ["1", "1", "5"]
    severities = [r.severity for r in review_queue(nurse)[0:30]]
    assert severities == sorted(severities, reverse=True)


def fill_queue(patient, plan, urgent: int, missed: int, other: int) -> None:
    for i in range(urgent):
        CheckInFactory(patient=patient, urgent=True, created_at=at(i))
    for i in range(missed):
        InvitationFactory(
            patient=patient,
            plan=plan,
            status="missed",
            week_start=datetime.date(2020, 1, 6) + datetime.timedelta(weeks=i),
            due_at=at(1000 + i),
            expires_at=at(2000 + i),
        )
    for i in range(other):
        CheckInFactory(patient=patient, severity=1 + i % 3, created_at=at(3000 + i))


# Session, user, clinic, the two-factor device check; the parts' two counts; three slices.
API_QUEUE_QUERIES = 9


@pytest.mark.parametrize(
    ("urgent", "missed", "other"),
    [
        pytest.param(2, 2, 2, id="all three parts on the page"),
        pytest.param(2, 60, 5, id="urgent and missed fill the page"),
        pytest.param(60, 2, 5, id="the urgent part alone fills the page"),
        pytest.param(0, 0, 70, id="the other check-ins alone"),
        pytest.param(0, 3, 0, id="missed only"),
    ],
)
def test_the_api_queue_costs_the_same_queries_whatever_the_first_page_holds(
    nurse_client, patient, plan, django_assert_num_queries, urgent, missed, other
):
    url = "/api/v1/checkins/queue/"
    nurse_client.get(url)  # the session's first request writes it
    with django_assert_num_queries(API_QUEUE_QUERIES):
        small = nurse_client.get(url).json()
    fill_queue(patient, plan, urgent, missed, other)
    with django_assert_num_queries(API_QUEUE_QUERIES):
        large = nurse_client.get(url).json()
    assert small["count"] == 0
    assert large["count"] == urgent + missed + other
    assert len(large["results"]) == min(50, urgent + missed + other)

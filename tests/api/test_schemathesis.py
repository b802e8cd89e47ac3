"""Schemathesis against /api/schema/: every operation of the API, generated requests (valid and
invalid), every check schemathesis has. No server errors, no conformance failures, and nothing
is saved from a rejected request.

Runs in the WSGI app in this process, as a prescriber of a seeded clinic (a knox token). Each
case runs in a savepoint that is rolled back afterwards, so every case meets the same data (the
demo clinics: patients with a medication record, a signed plan, a draft, check-ins).
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from knox.models import AuthToken
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from accounts.models import User
from checkins.models import CheckIn, Review
from clinic.demo import seed_demo
from medications.models import MedicationRecord
from patients.models import Patient
from schedules.models import PlanRevision, TaperPlan
from taper_clinic.wsgi import application

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

#: Cases per operation and generation mode: 22 operations x 2 modes x 75, about 3,300 cases.
EXAMPLES = int(os.environ.get("TAPER_FUZZ_EXAMPLES", "75"))
MIN_CASES = 3000
MAX_ID = 999_999_999_999_999_999  # the schema's maximum for an id in a path
#: Rows a rejected request must not add or change (with their simple-history rows).
WATCHED = (Patient, TaperPlan, PlanRevision, MedicationRecord, CheckIn, Review)


#: Writes whose schema-valid bodies the engine or the services may still refuse for a reason a JSON
#: Schema cannot state: a drug's dose no product can make, a start more than 2 years ahead, an
#: override for a rule the plan does not break, a hold on a plan with no step in force, an MRN
#: already used in the clinic, a FHIR Bundle with nothing readable. For these, and only for a
#: schema-valid body, a 400 is allowed in place of schemathesis's positive_data_acceptance, and
#: the 400 must carry the error shape with at least one message (checked below).
SEMANTIC_400 = {"POST", "PUT", "PATCH"}


def _counts() -> dict[str, int]:
    """Rows of each watched model and of its history: a change to a row (a PATCH) adds a
    history row, so an update is seen as well as an insert."""
    counts = {model.__name__: model.objects.count() for model in WATCHED}
    for model in WATCHED:
        history = getattr(model, "history", None)
        if history is not None:
            counts[f"{model.__name__} history"] = history.model.objects.count()
    return counts


def _empty_on_the_wire(case) -> bool:
    """A query parameter made an empty object or list is not sent at all, so the request is
    the valid one without it; schemathesis's negative_data_rejection cannot apply to it."""
    return any(value in ({}, []) for value in (case.query or {}).values())


def _describe(case, mode, exc) -> str:
    parts = getattr(exc, "exceptions", None) or [exc]
    titles = "; ".join(f"{type(p).__name__}: {' '.join(str(p).split())[:300]}" for p in parts)
    body = repr(case.body)[:300] if case.body is not None else ""
    query = f" query={case.query!r}" if case.query else ""
    return f"{case.method} {case.formatted_path} [{mode}] {titles} |{query} body={body}"


@pytest.fixture
def wsgi_in_test_transaction():
    """The WSGI handler closes the connection when a request ends; the test's transaction (and
    each case's savepoint) must outlive it, as Django's test client arranges."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_api_conforms_to_its_schema(wsgi_in_test_transaction):
    seed_demo()
    prescriber = User.objects.get(username="prescriber")
    _, token = AuthToken.objects.create(prescriber)
    headers = {"Authorization": f"Token {token}"}
    own = {
        "patient_id": list(
            Patient.objects.filter(clinic=prescriber.clinic).values_list("pk", flat=True)
        ),
        "plan_id": list(
            TaperPlan.objects.filter(patient__clinic=prescriber.clinic).values_list("pk", flat=True)
        ),
        "checkin_id": list(
            CheckIn.objects.filter(patient__clinic=prescriber.clinic).values_list("pk", flat=True)
        ),
    }
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, headers=headers
    )
    seen: Counter[str] = Counter()
    failures: list[str] = []

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode), pick=st.integers(0, 9))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def run(case, pick):
                # Mostly the seeded clinic's own objects, so the bodies reach the services;
                # sometimes the generated id (another clinic's, or none: a 404). An id the
                # negative mode made invalid (out of range, not a number) is left as it is.
                for name, ids in own.items():
                    value = case.path_parameters.get(name) if case.path_parameters else None
                    valid = type(value) is int and 0 <= value <= MAX_ID
                    if valid and ids and pick:
                        case.path_parameters[name] = ids[pick % len(ids)]
                generated = case.meta.generation.mode if case.meta else GenerationMode.POSITIVE
                with transaction.atomic():
                    before = _counts()
                    try:
                        response = case.call(headers=headers)
                        seen[f"{case.method} {case.path}"] += 1
                        if response.status_code >= 400:
                            assert _counts() == before, f"{case.method} {case.path} saved rows"
                        excluded = []
                        if case.method.upper() in SEMANTIC_400:
                            excluded.append(positive_data_acceptance)
                            if generated.is_positive and response.status_code == 400:
                                errors = response.json()["errors"]
                                assert errors and all(errors.values()), response.text
                        if _empty_on_the_wire(case):
                            excluded.append(negative_data_rejection)
                        case.validate_response(response, headers=headers, excluded_checks=excluded)
                    except (Exception, BaseExceptionGroup) as exc:  # collect, report them all
                        failures.append(_describe(case, generated, exc))
                    finally:
                        transaction.set_rollback(True)

            try:
                run()
            except Unsatisfiable:
                # Nothing in this operation can be made invalid (no parameters, no body).
                assert mode is GenerationMode.NEGATIVE, operation.label

    total = sum(seen.values())
    print(f"schemathesis: {total} cases over {len(seen)} operations")
    for failure in failures:
        print(failure)
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:40])
    assert total >= MIN_CASES

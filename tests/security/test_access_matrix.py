"""Every route, every method and every identity, against one table of expected outcomes.

The routes come from the URL configuration itself, so a new route without a row in ``TABLE``
fails ``test_every_route_has_a_row``. Expected outcomes follow from the row and the one
permission table (``accounts.access``):

- anonymous (and a patient's check-in link, which opens nothing else): a page redirects to the
  login page, the API answers 401;
- a role the table does not allow: 403;
- an allowed role in another clinic asking about this clinic's object: 404, the same answer as an
  id that does not exist (no oracle);
- an allowed role in this clinic: served (never 401, 403, 404 or 5xx);
- a method the route does not take: 405 (or the refusal above, whichever the route checks first);
- the superuser (no clinic) uses the admin site: clinic routes refuse it (403).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.access import PERMISSIONS, Action
from tests.conftest import VerifiedClient
from tests.security.routes import Route, all_routes
from tests.security.world import build_side

pytestmark = pytest.mark.django_db

ANY_STAFF = "any staff role"
ANY_USER = "any logged-in user"
PUBLIC = "public"
LINK = "the patient link"


@dataclass(frozen=True)
class Row:
    """``rules`` maps a method to who may use it (an Action, ANY_STAFF, ANY_USER or PUBLIC);
    ``scoped``: the URL names this clinic's object."""

    rules: dict[str, object]
    scoped: bool = False


def row(scoped: bool = False, **rules: object) -> Row:
    return Row({method.upper(): rule for method, rule in rules.items()}, scoped)


V, E, C = Action.VIEW_PATIENTS, Action.EDIT_PATIENTS, Action.VIEW_CLINICAL
TABLE: dict[str, Row] = {
    "favicon": row(get=PUBLIC, post=PUBLIC),
    "login": row(get=PUBLIC, post=PUBLIC),
    "logout": row(post=ANY_USER),
    "password_change": row(get=ANY_USER, post=ANY_USER),
    "password_change_done": row(get=ANY_USER),
    # Two-factor pages (a verified session is sent on from enrol and verify: a 302, served)
    "accounts:security": row(get=ANY_USER, post=ANY_USER),
    "accounts:two-factor-enrol": row(get=ANY_USER, post=ANY_USER),
    "accounts:two-factor-verify": row(get=ANY_USER, post=ANY_USER),
    # A clinic admin resets a staff member's authenticator (the member is this clinic's)
    "accounts:staff-two-factor-reset": row(
        True, get=Action.RESET_TWO_FACTOR, post=Action.RESET_TWO_FACTOR
    ),
    "dashboard": row(get=ANY_STAFF, post=ANY_STAFF),
    "patients:list": row(get=V, post=V),
    "patients:detail": row(True, get=V, post=V),
    "patients:create": row(get=E, post=E),
    "patients:edit": row(True, get=E, post=E),
    "medications:edit": row(True, get=Action.RECORD_MEDICATIONS, post=Action.RECORD_MEDICATIONS),
    "medications:import": row(True, get=Action.RECORD_MEDICATIONS, post=Action.RECORD_MEDICATIONS),
    "schedules:new": row(True, get=Action.PLAN, post=Action.PLAN),
    "schedules:preview": row(True, post=Action.PLAN),
    "schedules:plan": row(True, get=C),
    "schedules:draft-edit": row(True, get=Action.PLAN, post=Action.PLAN),
    "schedules:sign": row(True, post=Action.PLAN),
    "schedules:discard": row(True, post=Action.PLAN),
    "schedules:hold": row(True, post=Action.HOLD),
    "schedules:slow": row(True, post=Action.PLAN),
    "schedules:return": row(True, post=Action.PLAN),
    "schedules:dispensing": row(True, get=C),
    "checkins:patient": row(get=LINK, post=LINK),
    "checkins:queue": row(get=Action.REVIEW_CHECKINS, post=Action.REVIEW_CHECKINS),
    "checkins:review": row(post=Action.REVIEW_CHECKINS),
    "checkins:detail": row(True, get=C, post=C),
    "checkins:resolve": row(True, post=Action.RESOLVE_REQUESTS),
    "documents:status": row(True, get=C),
    "documents:download": row(True, get=C),
    "documents:retry": row(True, post=C),
    "api-drugs": row(get=ANY_STAFF),
    "api-products": row(get=ANY_STAFF),
    "api-schedule-preview": row(post=Action.PLAN),
    "api-patients": row(get=V, post=E),
    "api-patient": row(True, get=V, patch=E),
    "api-patient-plans": row(True, post=Action.PLAN),
    "api-patient-medications": row(True, get=C, put=Action.RECORD_MEDICATIONS),
    "api-patient-medications-import": row(True, post=Action.RECORD_MEDICATIONS),
    "api-patient-medications-fhir": row(True, get=C),
    "api-plan": row(True, get=C),
    "api-plan-sign": row(True, post=Action.PLAN),
    "api-plan-hold": row(True, post=Action.HOLD),
    "api-plan-document": row(True, get=C),
    "api-plan-dispensing": row(True, get=C),
    "api-plan-fhir": row(True, get=C),
    "api-plan-calendar": row(True, get=C),
    "api-checkin-queue": row(get=Action.REVIEW_CHECKINS),
    "api-checkin-review": row(True, post=Action.REVIEW_CHECKINS),
    "api-patient-checkins": row(True, post=Action.REVIEW_CHECKINS),
    "api-schema": row(get=ANY_STAFF),
}
ROLES = ("prescriber", "nurse", "clinic_admin")
PAGE_METHODS = ("GET", "POST")
API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SERVED_NEVER = {401, 403, 404}


def allowed(rule: object, role: str | None) -> bool:
    if rule in (PUBLIC, LINK):
        return True
    if role is None:
        return False
    if rule in (ANY_STAFF, ANY_USER):
        return True
    return role in PERMISSIONS[rule]  # type: ignore[index]


def wrong_role(rule: object, who: str, role: str | None) -> bool:
    """The superuser (no clinic) on a clinic route, or a role the table does not allow."""
    if who == "superuser":
        return rule not in (PUBLIC, LINK, ANY_USER)
    return rule is not None and not allowed(rule, role)


def expected(route: Route, entry: Row, method: str, who: str, role: str | None) -> set[int]:
    """The statuses allowed for ``who`` (anonymous, link, own, foreign, superuser)."""
    rule = entry.rules.get(method)
    if rule is None:
        # A method the route does not take: 405, or the refusal this identity gets for the
        # methods it does take (a route may check who is asking before the method).
        refusals = {
            status
            for taken in entry.rules
            for status in expected(route, entry, taken, who, role)
            if status != -1
        }
        return {405} | refusals
    if who in ("anonymous", "link") and rule not in (PUBLIC, LINK):
        refused = {401} if route.is_api else {302}
    elif wrong_role(rule, who, role):
        refused = {403}
    elif who == "foreign" and entry.scoped:
        refused = {404}
    else:
        refused = set()
    return refused or {-1}  # -1: served


def test_every_route_has_a_row():
    names = {route.name for route in all_routes()}
    assert names - set(TABLE) == set(), "add the new routes to TABLE"
    assert set(TABLE) - names == set(), "remove routes that no longer exist"


def test_every_route_answers_every_identity_as_the_table_says():
    mine = build_side("Riverside", "GB", "a")
    theirs = build_side("Hillside", "US", "b")
    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-Root-12345")
    identities: list[tuple[str, str | None, object]] = [
        ("anonymous", None, None),
        ("link", None, "link"),
    ]
    for role in ROLES:
        attr = {"prescriber": "prescriber", "nurse": "nurse", "clinic_admin": "admin"}[role]
        identities.append(("own", role, getattr(mine, attr)))
        identities.append(("foreign", role, getattr(theirs, attr)))
    identities.append(("superuser", None, root))

    clients: dict[int, Client] = {}

    def client_for(index: int, user: object) -> Client:
        if index not in clients:
            client = VerifiedClient()  # staff have passed two-factor (tests/conftest.py)
            if user == "link":
                client.get(f"/c/{mine.token}/")
            elif user is not None:
                client.force_login(user)
            clients[index] = client
        return clients[index]

    problems = []
    for route in all_routes():
        entry = TABLE[route.name]
        url = route.url(mine.ids(), mine.token)
        for method in API_METHODS if route.is_api else PAGE_METHODS:
            for index, (who, role, user) in enumerate(identities):
                client = client_for(index, user)
                if route.name == "logout":
                    clients.pop(index)  # it ends the session; the next route gets a new one
                kwargs = (
                    {"content_type": "application/json", "data": "{}"}
                    if route.is_api and method != "GET"
                    else {}
                )
                response = getattr(client, method.lower())(url, **kwargs)
                want = expected(route, entry, method, who, role)
                status = response.status_code
                ok = (
                    (status not in SERVED_NEVER and status < 500)
                    if want == {-1}
                    else status in want
                )
                if (
                    status == 302
                    and want == {302}
                    and "/login/" not in response.get("Location", "")
                ):
                    ok = False
                if not ok:
                    problems.append(
                        f"{method} {route.name} as {who} {role or ''}: {status}, want {want}"
                    )
                if response.get("Content-Type", "").startswith("text/html") and not response.get(
                    "Content-Security-Policy"
                ):
                    problems.append(f"{method} {route.name} as {who}: an HTML page without CSP")
    assert problems == [], "\n".join(problems)


def main_text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's main content (or the JSON body), numbers blanked: what tells one 404 from
    another, without the per-response CSRF token."""
    text = response.content.decode()
    if "<main" in text:
        text = text[text.index("<main") : text.index("</main>")]
    return re.sub(r"\d+", "N", text)


def test_another_clinics_object_reads_exactly_like_one_that_does_not_exist(client):
    mine = build_side("Riverside", "GB", "a")
    theirs = build_side("Hillside", "US", "b")
    client.force_login(theirs.prescriber)
    missing = dict.fromkeys(mine.ids(), 999999)
    for route in all_routes():
        entry = TABLE[route.name]
        if (
            not entry.scoped
            or "GET" not in entry.rules
            or not allowed(entry.rules["GET"], "prescriber")
        ):
            continue
        foreign = client.get(route.url(mine.ids(), mine.token))
        absent = client.get(route.url(missing, mine.token))
        assert foreign.status_code == absent.status_code == 404, route.name
        assert main_text(foreign) == main_text(absent), route.name


def test_ids_swapped_into_bodies_and_fields_that_are_not_editable_change_nothing(client):
    mine = build_side("Riverside", "GB", "a")
    theirs = build_side("Hillside", "US", "b")
    client.force_login(mine.nurse)
    # Review another clinic's check-in by putting its id in the body: 404, nothing written.
    response = client.post(
        "/checkins/review/",
        {"kind": "checkin", "target": theirs.checkin.pk, "action": "continue", "note": "Fine."},
    )
    assert response.status_code == 404
    assert not theirs.checkin.reviews.filter(nurse=mine.nurse).exists()
    # Create a patient naming another clinic and another clinic's prescriber: never crosses over.
    created = client.post(
        "/api/v1/patients/",
        data=json.dumps(
            {
                "mrn": "X-1",
                "first_name": "Ann",
                "last_name": "Other",
                "date_of_birth": "1970-01-01",
                "email": "ann@example.org",
                "clinic": theirs.clinic.pk,
                "prescriber": theirs.prescriber.pk,
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 400
    assert "prescriber" in created.json()["errors"]
    moved = client.patch(
        f"/api/v1/patients/{mine.patient.pk}/",
        data=json.dumps({"clinic": theirs.clinic.pk, "id": theirs.patient.pk}),
        content_type="application/json",
    )
    assert moved.status_code == 200
    mine.patient.refresh_from_db()
    theirs.patient.refresh_from_db()
    assert mine.patient.clinic_id == mine.clinic.pk
    assert theirs.patient.clinic_id == theirs.clinic.pk

"""Who may do what: the one permission table (role by action).

Pages (``action_required``), the API (``allows``) and the admin site (``can``) all read this
table, and the README prints it (a test keeps the two the same). Clinic scoping is separate and
always applies: another clinic's object is a 404 (:mod:`accounts.scoping`).

A clinic admin manages the clinic's staff and its patient list; clinical data (plans, medication
records, check-ins, documents) is for the nurses and prescribers who treat the patient.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import User
from accounts.permissions import ViewFunc, is_staff_member, role_required

PRESCRIBER, NURSE, CLINIC_ADMIN = (
    str(User.Role.PRESCRIBER),
    str(User.Role.NURSE),
    str(User.Role.CLINIC_ADMIN),
)
ROLES = (PRESCRIBER, NURSE, CLINIC_ADMIN)


class Action(StrEnum):
    VIEW_PATIENTS = "See the patient list and a patient's details"
    EDIT_PATIENTS = "Add a patient, edit contact details and care team"
    VIEW_CLINICAL = "See plans, documents, exports, medication records and check-ins"
    RECORD_MEDICATIONS = "Record, edit and import the medication record"
    PLAN = "Build, edit, sign, discard, slow down and return a plan"
    HOLD = "Hold the current step"
    REVIEW_CHECKINS = "Review check-ins, take a phone check-in"
    RESOLVE_REQUESTS = "Close a slow-down request or escalation"
    MANAGE_STAFF = "Manage the clinic's staff in the admin site (never their own role)"
    RESET_TWO_FACTOR = (
        "Reset a staff member's authenticator after a lost phone (never their own, never a "
        "superuser's; asks for the admin's password or code)"
    )


PERMISSIONS: dict[Action, frozenset[str]] = {
    Action.VIEW_PATIENTS: frozenset({PRESCRIBER, NURSE, CLINIC_ADMIN}),
    Action.EDIT_PATIENTS: frozenset({PRESCRIBER, NURSE, CLINIC_ADMIN}),
    Action.VIEW_CLINICAL: frozenset({PRESCRIBER, NURSE}),
    Action.RECORD_MEDICATIONS: frozenset({PRESCRIBER}),
    Action.PLAN: frozenset({PRESCRIBER}),
    Action.HOLD: frozenset({PRESCRIBER, NURSE}),
    Action.REVIEW_CHECKINS: frozenset({PRESCRIBER, NURSE}),
    Action.RESOLVE_REQUESTS: frozenset({PRESCRIBER}),
    Action.MANAGE_STAFF: frozenset({CLINIC_ADMIN}),
    Action.RESET_TWO_FACTOR: frozenset({CLINIC_ADMIN}),
}


def can(user: Any, action: Action) -> bool:
    """Whether ``user`` (clinic staff with a role) may do ``action`` at all."""
    return is_staff_member(user) and getattr(user, "role", None) in PERMISSIONS[action]


def action_required(action: Action) -> Callable[[ViewFunc], ViewFunc]:
    """A page for the roles the table allows: anonymous → the login page, others → 403."""
    return role_required(*sorted(PERMISSIONS[action]))


def allows(action: Action) -> type[BasePermission]:
    """The API's permission class for ``action`` (anonymous → 401, other roles → 403)."""

    class Allowed(BasePermission):
        message = f"Your role may not do this: {action.value[0].lower()}{action.value[1:]}."

        def has_permission(self, request: Request, view: Any) -> bool:
            return can(request.user, action)

    Allowed.__name__ = f"Allows{action.name.title().replace('_', '')}"
    return Allowed


def permission_table_markdown() -> str:
    """The table as the README prints it."""
    names = {PRESCRIBER: "Prescriber", NURSE: "Nurse", CLINIC_ADMIN: "Clinic admin"}
    lines = [
        "| Action | " + " | ".join(names[r] for r in ROLES) + " |",
        "| --- | " + " | ".join(":-:" for _ in ROLES) + " |",
    ]
    for action, roles in PERMISSIONS.items():
        marks = " | ".join("yes" if role in roles else "—" for role in ROLES)
        lines.append(f"| {action.value} | {marks} |")
    return "\n".join(lines)

"""Records each request to a route that names a patient, plan, revision, check-in, review or
document by id (see :mod:`audit.models`). Place after AuthenticationMiddleware; DRF's token
authentication sets the same ``request.user`` by the time the response comes back."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.apps import apps
from django.http import HttpRequest, HttpResponse

from audit.models import AccessRecord

logger = logging.getLogger(__name__)

#: URL keyword → the kind of object it names, most specific first.
AUDITED = (
    ("document_id", "document"),
    ("review_id", "review"),
    ("checkin_id", "checkin"),
    ("revision_id", "revision"),
    ("plan_id", "plan"),
    ("patient_id", "patient"),
)
AUDITED_KEYS = {key for key, _kind in AUDITED}
#: How to find the patient an object is about (model label, lookup), read through the app
#: registry so that this lowest layer imports none of the apps above it.
PATIENT_OF = {
    "patient": ("patients.Patient", "pk", "clinic_id"),
    "plan": ("schedules.TaperPlan", "patient_id", "patient__clinic_id"),
    "revision": ("schedules.PlanRevision", "plan__patient_id", "plan__patient__clinic_id"),
    "document": (
        "schedules.PlanDocument",
        "revision__plan__patient_id",
        "revision__plan__patient__clinic_id",
    ),
    "checkin": ("checkins.CheckIn", "patient_id", "patient__clinic_id"),
    "review": ("checkins.Review", "patient_id", "patient__clinic_id"),
}


def patient_of(kind: str, object_id: int) -> tuple[int | None, int | None]:
    """The patient the object is about and that patient's clinic, in one query (None, None
    when the object does not exist)."""
    label, patient_path, clinic_path = PATIENT_OF[kind]
    row = (
        apps.get_model(label)
        .objects.filter(pk=object_id)
        .values_list(patient_path, clinic_path)
        .first()
    )
    return (row[0], row[1]) if row else (None, None)


class ReadAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None or not AUDITED_KEYS & set(match.kwargs):
            return response
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response  # refused before anything was shown
        ids = {k: int(v) for k, v in match.kwargs.items() if k in AUDITED_KEYS}
        kind, object_id = next((kind, ids[key]) for key, kind in AUDITED if key in ids)
        try:
            patient_id, patient_clinic_id = patient_of(kind, object_id)
            AccessRecord.objects.create(
                patient_id=patient_id,
                patient_clinic_id=patient_clinic_id,
                user=user,
                clinic_id=getattr(user, "clinic_id", None),
                method=request.method or "",
                route=(match.view_name or "")[:80],
                object_kind=kind,
                object_id=object_id,
                ids=ids,
                status=response.status_code,
            )
        except Exception:  # the audit must never turn a served page into an error
            logger.exception("read audit row could not be written")
        return response

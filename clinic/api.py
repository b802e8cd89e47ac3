"""The patients API as served: the patient's fields plus their current plan and check-in."""

from __future__ import annotations

from typing import Any

from accounts.access import Action, can
from patients import api as patient_api
from patients.models import Patient
from schedules import selectors as plan_selectors
from schedules.plan_serializers import revision_summary


def patient_detail(patient: Patient, *, clinical: bool = True) -> dict[str, Any]:
    """The patient's fields, their plan in force (or their unsigned plan) and latest check-in.
    Without ``clinical`` (a clinic admin), only the patient's own fields."""
    data = patient_api.patient_detail_data(patient)
    if not clinical:
        return data
    in_force = plan_selectors.in_force_for_patient(patient)
    unsigned = plan_selectors.unsigned_plan_for_patient(patient)
    if in_force is not None:
        data["current_plan"] = {
            "id": in_force.plan_id,
            "status": in_force.plan.status,
            "revision": revision_summary(in_force),
        }
    elif unsigned is not None:
        draft = plan_selectors.revision_history(unsigned)[-1]
        data["current_plan"] = {
            "id": unsigned.pk,
            "status": unsigned.status,
            "revision": revision_summary(draft),
        }
    else:
        data["current_plan"] = None
    data["latest_checkin"] = None  # check-ins arrive with the nurse workflow
    return data


class _WithPlan:
    request: Any

    def detail(self, patient: Patient) -> dict[str, Any]:
        return patient_detail(patient, clinical=can(self.request.user, Action.VIEW_CLINICAL))


class PatientListCreateView(_WithPlan, patient_api.PatientListCreateView):
    pass


class PatientDetailView(_WithPlan, patient_api.PatientDetailView):
    pass

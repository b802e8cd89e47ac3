"""The patients API as served: the patient's fields plus their current plan and check-in."""

from __future__ import annotations

from typing import Any

from patients import api as patient_api
from patients.models import Patient
from schedules import selectors as plan_selectors
from schedules.plan_serializers import revision_summary


def patient_detail(patient: Patient) -> dict[str, Any]:
    data = patient_api.patient_detail_data(patient)
    plan = plan_selectors.plan_queryset().filter(patient=patient).first()
    if plan is None:
        data["current_plan"] = None
    else:
        # A summary needs neither steps nor doses: don't load them.
        revisions = list(
            plan.revisions.select_related("created_by", "signed_by")
            .prefetch_related("overrides")
            .order_by("number")
        )
        signed = [r for r in revisions if r.status == "signed"]
        data["current_plan"] = {
            "id": plan.pk,
            "status": "signed" if signed else "draft",
            "revision": revision_summary(signed[-1] if signed else revisions[-1]),
        }
    data["latest_checkin"] = None  # check-ins arrive with the nurse workflow
    return data


class _WithPlan:
    def detail(self, patient: Patient) -> dict[str, Any]:
        return patient_detail(patient)


class PatientListCreateView(_WithPlan, patient_api.PatientListCreateView):
    pass


class PatientDetailView(_WithPlan, patient_api.PatientDetailView):
    pass

"""Pages that combine apps: the dashboard, the patient list with progress, the patient page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from accounts.access import Action, action_required, can
from accounts.clinic_time import clinic_today
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import staff_required
from clinic import selectors as clinic_selectors
from medications import selectors as medication_selectors
from patients import selectors as patient_selectors
from schedules import selectors as plan_selectors


@staff_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    patients = patient_selectors.patient_list(user=request.user)
    context = {
        "clinic": request.user.clinic,
        "patient_count": patients.count(),
        "my_patients": patients.filter(prescriber=request.user)[:10]
        if request.user.is_prescriber
        else patients.filter(nurse=request.user)[:10],
        **clinic_selectors.worklist(user=request.user),
    }
    return render(request, "clinic/dashboard.html", context)


@action_required(Action.VIEW_PATIENTS)
def patient_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    patients = clinic_selectors.patient_list_with_progress(user=request.user, query=query)
    context = {"patients": patients, "query": query, "today": clinic_today(request.user.clinic)}
    return render(request, "patients/patient_list.html", context)


@action_required(Action.VIEW_PATIENTS)
def patient_detail(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_selectors.patient_get(user=request.user, patient_id=patient_id)
    context: dict[str, object] = {"patient": patient, "can_view_clinical": False}
    if can(request.user, Action.VIEW_CLINICAL):
        context.update(
            can_view_clinical=True,
            plans=plan_selectors.plan_summaries_for_patient(patient),
            record=medication_selectors.record_view(patient, clinic_today(patient.clinic)),
            history=medication_selectors.record_history(patient),
        )
    return render(request, "patients/patient_detail.html", context)

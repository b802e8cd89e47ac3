"""Pages that combine apps: the dashboard, the patient list with progress, the patient page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render

from accounts import selectors as account_selectors
from accounts.access import Action, action_required, can
from accounts.clinic_time import clinic_today
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import staff_required
from clinic import selectors as clinic_selectors
from medications import selectors as medication_selectors
from patients import selectors as patient_selectors
from patients.links import id_url
from schedules import selectors as plan_selectors

PATIENTS_PER_PAGE = 50


@dataclass(frozen=True)
class ListPage:
    """One page of a list read with a single query: one row more than the page tells whether
    a next page exists, so no count of the (annotated) list is needed."""

    object_list: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @classmethod
    def read(cls, rows: QuerySet[Any], number: str | None, per_page: int) -> ListPage:
        try:
            page = max(1, int(number or 1))
        except ValueError:
            page = 1
        found = list(rows[(page - 1) * per_page : page * per_page + 1])
        return cls(found[:per_page], page, len(found) > per_page)


@staff_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    patients = patient_selectors.patient_list(user=request.user)
    context: dict[str, Any] = {
        "clinic": request.user.clinic,
        "patient_count": patients.count(),
        "my_patients": patients.filter(prescriber=request.user)[:10]
        if request.user.is_prescriber
        else patients.filter(nurse=request.user)[:10],
        "worklist_shown": can(request.user, Action.VIEW_CLINICAL),
        "prescriber_grants": account_selectors.prescriber_grants(clinic_id=request.user.clinic_id)
        if request.user.is_prescriber
        else [],
    }
    if context["worklist_shown"]:
        context.update(clinic_selectors.worklist(user=request.user))
    return render(request, "clinic/dashboard.html", context)


@action_required(Action.VIEW_PATIENTS)
def patient_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    patients = clinic_selectors.patient_list_with_progress(user=request.user, query=query)
    page = ListPage.read(patients, request.GET.get("page"), PATIENTS_PER_PAGE)
    patient_url, plan_url = id_url("patients:detail"), id_url("schedules:plan")
    for patient in page.object_list:  # each row's links, resolved once for the page
        patient.url = patient_url(patient.pk)
        patient.plan_url = plan_url(patient.current_plan_id) if patient.current_plan_id else ""
        patient.draft_url = plan_url(patient.draft_plan_id) if patient.draft_plan_id else ""
    context = {
        "patients": page.object_list,
        "page": page,
        "query": query,
        "today": clinic_today(request.user.clinic),
    }
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

"""Patient pages: thin views over the selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.access import Action, action_required
from accounts.http import AuthenticatedHttpRequest
from patients import selectors, services
from patients.forms import PatientForm


@action_required(Action.EDIT_PATIENTS)
def patient_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None, clinic=request.user.clinic)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(user=request.user, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Patient added."))
            return redirect("patients:detail", patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": None})


@action_required(Action.EDIT_PATIENTS)
def patient_edit(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = selectors.patient_get(user=request.user, patient_id=patient_id)
    form = PatientForm(
        request.POST or None,
        instance=patient,
        clinic=request.user.clinic,  # type: ignore[arg-type]
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(user=request.user, patient=patient, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Patient details saved."))
            return redirect("patients:detail", patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})

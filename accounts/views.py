"""Staff pages owned by the accounts app."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import staff_required
from patients import selectors as patient_selectors


@staff_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    patients = patient_selectors.patient_list(user=request.user)
    context = {
        "clinic": request.user.clinic,
        "patient_count": patients.count(),
        "my_patients": patients.filter(prescriber=request.user)[:10]
        if request.user.is_prescriber
        else patients.filter(nurse=request.user)[:10],
    }
    return render(request, "accounts/dashboard.html", context)

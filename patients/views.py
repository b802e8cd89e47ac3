"""Patient pages: thin views over the selectors."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import staff_required
from patients import selectors


@staff_required
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    patients = selectors.patient_list(user=request.user, query=query)
    return render(request, "patients/patient_list.html", {"patients": patients, "query": query})


@staff_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = selectors.patient_get(user=request.user, patient_id=patient_id)
    return render(request, "patients/patient_detail.html", {"patient": patient})

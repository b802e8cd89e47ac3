"""Reads of patient data, always scoped to the user's clinic."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.scoping import for_clinic, get_for_clinic_or_404
from patients.models import Patient


def patient_list(*, user: Any, query: str = "") -> QuerySet[Patient]:
    qs = for_clinic(Patient.objects.all(), user).select_related("prescriber", "nurse")
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(mrn__icontains=query) | Q(last_name__icontains=query) | Q(first_name__icontains=query)
        )
    return qs


def patient_get(*, user: Any, patient_id: int) -> Patient:
    return get_for_clinic_or_404(
        Patient.objects.select_related("prescriber", "nurse", "clinic"), user, pk=patient_id
    )

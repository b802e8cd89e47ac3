from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.scoping import for_clinic
from patients.models import Patient


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ("mrn", "last_name", "first_name", "date_of_birth", "prescriber", "nurse")
    search_fields = ("mrn", "last_name", "first_name")
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Patient]:
        qs = super().get_queryset(request).select_related("prescriber", "nurse", "clinic")
        if request.user.is_superuser:
            return qs
        return for_clinic(qs, request.user)

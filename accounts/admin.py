"""Django admin for staff accounts.

A clinic admin (``role=clinic_admin`` with ``is_staff``) manages the users of their own clinic
only: the list, the lookups and new users are all pinned to that clinic, and they cannot grant
superuser or admin-site rights beyond their own.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Clinic, User
from accounts.scoping import for_clinic


@admin.register(Clinic)
class ClinicAdmin(SimpleHistoryAdmin):
    list_display = ("name", "country", "time_zone", "phone", "hold_needs_cosign")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Clinic]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(pk=getattr(request.user, "clinic_id", None))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "clinic", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("Clinic", {"fields": ("clinic", "role", "professional_id")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Clinic", {"fields": ("first_name", "last_name", "email", "clinic", "role")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return for_clinic(qs, request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [
                "clinic",
                "is_superuser",
                "groups",
                "user_permissions",
                "last_login",
                "date_joined",
            ]
        return readonly

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = Clinic.objects.filter(staff__pk=request.user.pk)  # type: ignore[misc]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        if not request.user.is_superuser:
            obj.clinic_id = getattr(request.user, "clinic_id", None)
            obj.is_superuser = False
        super().save_model(request, obj, form, change)

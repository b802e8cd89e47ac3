"""Django admin for staff accounts.

A clinic admin (``role=clinic_admin`` with ``is_staff``) manages the users of their own clinic
only: the list, the lookups and new users are all pinned to that clinic. The rules are in
:mod:`accounts.permissions`: nobody changes their own role, ``is_staff``, ``is_superuser`` or
``is_active``; only a superuser grants admin-site rights or sets another user's password; a clinic
admin never changes a superuser. Granting the prescriber role is recorded in the user's history
(with who granted it) and logged. A member's page links a clinic admin to the reset of that
member's authenticator (``accounts.staff_views``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Clinic, User
from accounts.permissions import (
    locked_user_fields,
    may_manage_staff,
    may_manage_user,
    may_set_password,
)
from accounts.scoping import for_clinic
from accounts.selectors import PRESCRIBER_GRANTED
from accounts.two_factor_reset import may_reset

logger = logging.getLogger(__name__)


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

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_manage_staff(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_manage_staff(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = obj is None or may_manage_user(request.user, obj)
        return (
            allowed
            and may_manage_staff(request.user)
            and super().has_change_permission(request, obj)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Nobody deletes a staff account: untick "active" instead. Their name stays on every
        plan, review and history row they wrote (history rows are append-only)."""
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The member's page, with a "Reset authenticator" button for a clinic admin who may
        (``accounts.two_factor_reset.may_reset``): a link to that page, no script."""
        context = dict(extra_context or {})
        target = self.get_object(request, object_id)
        if target is not None and may_reset(request.user, target):
            context["reset_two_factor_url"] = reverse(
                "accounts:staff-two-factor-reset", args=[target.pk]
            )
        return super().change_view(request, object_id, form_url, context)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        target = self.get_object(request, id)
        if target is None or not may_set_password(request.user, target):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["last_login", "date_joined"]
        readonly += [f for f in locked_user_fields(request.user, obj) if f not in readonly]
        return readonly

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = Clinic.objects.filter(staff__pk=request.user.pk)  # type: ignore[misc]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        # The form leaves locked fields out; this holds even if a form let one through.
        before = User.objects.filter(pk=obj.pk).first() if change else None
        for name in locked_user_fields(request.user, obj if change else None):
            if name in ("groups", "user_permissions"):
                continue  # many-to-many: never in a form that locks them
            if before is not None:
                setattr(obj, name, getattr(before, name))
            elif name in ("is_staff", "is_superuser"):
                setattr(obj, name, False)
        if not request.user.is_superuser:
            obj.clinic_id = getattr(request.user, "clinic_id", None)
        granted = obj.role == User.Role.PRESCRIBER and (
            before is None or before.role != User.Role.PRESCRIBER
        )
        if granted:
            obj._change_reason = PRESCRIBER_GRANTED.format(actor=request.user.pk)  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)
        if granted:
            logger.warning(
                "User #%s granted the prescriber role to user #%s", request.user.pk, obj.pk
            )

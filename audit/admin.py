from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.models import AccessRecord


@admin.register(AccessRecord)
class AccessRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only; a clinic admin sees their clinic's rows, a superuser all."""

    list_display = ("at", "user", "method", "route", "object_kind", "object_id", "status")
    list_filter = ("object_kind", "method")
    search_fields = ("=object_id", "user__username")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessRecord]:
        qs = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return qs
        return qs.filter(clinic_id=getattr(request.user, "clinic_id", None))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        return bool(
            user.is_superuser or (user.is_staff and getattr(user, "is_clinic_admin", False))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

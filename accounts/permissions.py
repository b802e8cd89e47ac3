"""Role checks for views and the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

ViewFunc = Callable[..., HttpResponse]


def is_staff_member(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and getattr(user, "is_clinic_staff", False)
    )


def role_required(*roles: str) -> Callable[[ViewFunc], ViewFunc]:
    """Allow a page only to logged-in clinic staff, optionally only with one of ``roles``."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not is_staff_member(user) or (roles and getattr(user, "role", None) not in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required()


class IsClinicStaff(BasePermission):
    message = "Only clinic staff may use this endpoint."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_staff_member(request.user)


class IsPrescriber(BasePermission):
    message = "Only a prescriber may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_staff_member(request.user) and getattr(request.user, "is_prescriber", False)


class IsNurseOrPrescriber(BasePermission):
    message = "Only a nurse or a prescriber may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return is_staff_member(user) and (
            getattr(user, "is_nurse", False) or getattr(user, "is_prescriber", False)
        )

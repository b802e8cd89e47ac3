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

# Which role may do what: the permission table in accounts.access (action_required, allows).


class IsClinicStaff(BasePermission):
    message = "Only clinic staff may use this endpoint."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_staff_member(request.user)


# --- Managing staff accounts (the admin site) ---------------------------------------------------

# What makes an account powerful. Nobody changes these on their own account, and only a
# superuser grants admin-site rights (is_staff, superuser, groups, permissions) to anyone.
OWN_ACCOUNT_LOCKED = ("role", "is_staff", "is_superuser", "is_active", "groups", "user_permissions")
SUPERUSER_ONLY = ("clinic", "is_staff", "is_superuser", "groups", "user_permissions")


def may_manage_staff(actor: Any) -> bool:
    """A superuser, or an active clinic admin with admin-site access, manages staff accounts."""
    if not getattr(actor, "is_active", False):
        return False
    if getattr(actor, "is_superuser", False):
        return True
    return bool(getattr(actor, "is_staff", False) and getattr(actor, "is_clinic_admin", False))


def may_manage_user(actor: Any, target: Any) -> bool:
    """Whether ``actor`` may change ``target``'s account: a clinic admin only their own clinic's
    staff, never a superuser's account."""
    if not may_manage_staff(actor):
        return False
    if getattr(actor, "is_superuser", False):
        return True
    return (
        target.clinic_id is not None
        and target.clinic_id == actor.clinic_id
        and not target.is_superuser
    )


def locked_user_fields(actor: Any, target: Any | None) -> tuple[str, ...]:
    """The fields of ``target``'s account (``None``: a new one) that ``actor`` may not change."""
    locked = [] if getattr(actor, "is_superuser", False) else list(SUPERUSER_ONLY)
    if target is not None and target.pk is not None and target.pk == actor.pk:
        locked += [name for name in OWN_ACCOUNT_LOCKED if name not in locked]
    return tuple(locked)


def may_set_password(actor: Any, target: Any) -> bool:
    """Only a superuser sets another user's password; everyone changes their own through the
    password-change page, which asks for the old one."""
    return bool(getattr(actor, "is_superuser", False) and getattr(actor, "is_active", False))

"""Typed requests for views behind ``staff_required`` (healthchecks' AuthenticatedHttpRequest)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def staff_user(request: Any) -> User:
    """The request's user as a :class:`User`, for code behind a staff-only permission."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Log in as clinic staff.")
    return user

"""Typed requests for views behind ``staff_required`` (healthchecks' AuthenticatedHttpRequest)."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User

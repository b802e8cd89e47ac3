"""A throttle on password spraying: one address trying many usernames.

django-axes locks a username on one address after ``AXES_FAILURE_LIMIT`` failures; that never
stops an attacker who tries one or two passwords on each of many usernames. This backend,
first in ``AUTHENTICATION_BACKENDS``, refuses every login from an address that has failed with
``TAPER_LOGIN_SPRAY_LIMIT`` different usernames within the axes cool-off period. Refusing with
``PermissionDenied`` stops Django's ``authenticate`` at once, and the failure is still recorded.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from axes.helpers import get_client_ip_address, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone

logger = logging.getLogger(__name__)


def distinct_failed_usernames(ip_address: str) -> int:
    cool_off = get_cool_off() or timedelta(hours=1)
    since = timezone.now() - cool_off
    return (
        AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since)
        .values("username")
        .distinct()
        .count()
    )


class SprayThrottleBackend:
    """Authenticates nobody; refuses logins from an address that is spraying usernames.

    It has no ``get_user``: no session is ever tied to it (and ``force_login`` skips it)."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        if request is None:
            return None
        ip_address = get_client_ip_address(request)
        if ip_address and distinct_failed_usernames(ip_address) >= settings.TAPER_LOGIN_SPRAY_LIMIT:
            logger.warning("login refused: too many usernames failed from one address")
            raise PermissionDenied("Too many failed logins from this address.")
        return None

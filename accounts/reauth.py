"""Re-authentication before signing: a password or an authenticator code within the last
``TAPER_REAUTH_SECONDS`` (5 minutes).

The session records when its user last proved who they are (:data:`SESSION_KEY`): at login, at
the 2FA check, and at each explicit re-authentication. The plan page's sign form and the sign
API use :func:`form_check` and :func:`require_for_api`, so the rule lives here only. A call
authenticated by an API token has no session: it must always carry the password or a code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from accounts import two_factor
from accounts.models import User

logger = logging.getLogger(__name__)

SESSION_KEY = "taper_authenticated_at"
REFUSED = (
    "Confirm it is you: your last login or confirmation is more than 5 minutes old (or this "
    'call uses a token). Send "password" (yours) or "otp" (a current code from your '
    "authenticator app) in the body."
)
WRONG = "That is not your password or a current code from your authenticator."


def window_seconds() -> int:
    return int(getattr(settings, "TAPER_REAUTH_SECONDS", 300))


def mark_authenticated(request: HttpRequest) -> None:
    """Record that the session's user proved who they are just now."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_KEY] = time.time()


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver (connected in ``AccountsConfig.ready``): a password login."""
    if request is not None:
        mark_authenticated(request)


def is_fresh(request: HttpRequest) -> bool:
    """The session's last authentication is within the window (never true without a session:
    a token-authenticated API call has none)."""
    session = getattr(request, "session", None)
    if session is None:
        return False
    at = session.get(SESSION_KEY)
    if not isinstance(at, int | float):
        return False
    return time.time() - at <= window_seconds()


def needs_reauth(request: HttpRequest) -> bool:
    return not is_fresh(request)


def _looks_like_code(secret: str) -> bool:
    code = "".join(secret.split())
    return len(code) == two_factor.TOTP_DIGITS and code.isdigit()


def check_code(user: User, code: Any) -> bool:
    """``code`` is a current code from the user's authenticator (each works once; failures are
    throttled by django-otp)."""
    return (
        isinstance(code, str)
        and _looks_like_code(code)
        and two_factor.check_totp(user, code) is not None
    )


def check_password(request: HttpRequest, user: User, password: Any) -> bool:
    """``password`` is the user's. It goes through ``authenticate`` so that django-axes counts
    failures and locks out as at login."""
    if not isinstance(password, str) or not password:
        return False
    authenticated = authenticate(request, username=user.get_username(), password=password)
    return authenticated is not None and authenticated.pk == user.pk


def check_secret(request: HttpRequest, user: User, secret: str) -> bool:
    """``secret`` (typed in one field) is the user's password or a current authenticator code.
    Neither is ever logged."""
    if check_code(user, secret) or check_password(request, user, secret):
        return True
    logger.info("re-authentication failed for user %s", user.pk)
    return False


def confirm(request: HttpRequest, user: User, secret: str, *, session_auth: bool = True) -> bool:
    """Check ``secret`` and, for a session, restart the window."""
    if not check_secret(request, user, secret):
        return False
    if session_auth:
        mark_authenticated(request)
    return True


def form_check(request: HttpRequest, user: User) -> Callable[[str], bool] | None:
    """For a page's form: ``None`` while the session's last authentication is recent, else the
    check to run on what the user typed in the re-authentication field."""
    if is_fresh(request):
        return None
    return lambda secret: confirm(request, user, secret)


class ReauthRequired(exceptions.PermissionDenied):
    """403 ``{"errors": {"reauth": [message]}}``."""

    def __init__(self, message: str) -> None:
        super().__init__({"errors": {"reauth": [message]}})


def require_for_api(request: Request, user: User, body: dict[str, Any]) -> None:
    """Gate an API action: take ``password`` and ``otp`` out of ``body`` and raise
    :class:`ReauthRequired` unless one of them checks out, or the call comes with a session
    whose last authentication is recent. A token alone is never enough."""
    password, code = body.pop("password", None), body.pop("otp", None)
    http_request = request._request
    session_auth = isinstance(request.successful_authenticator, SessionAuthentication)
    if password is None and code is None:
        if session_auth and is_fresh(http_request):
            return
        raise ReauthRequired(REFUSED)
    if (code is not None and check_code(user, code)) or (
        password is not None and check_password(http_request, user, password)
    ):
        if session_auth:
            mark_authenticated(http_request)
        return
    logger.info("re-authentication failed for user %s", user.pk)
    raise ReauthRequired(WRONG)

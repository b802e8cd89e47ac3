"""Session lifetime: a 30-minute idle timeout and a 12-hour absolute limit.

Django's session cookie ends with the browser (``SESSION_EXPIRE_AT_BROWSER_CLOSE``) and the
server-side session expires ``SESSION_COOKIE_AGE`` (30 minutes) after it was last saved. This
middleware saves it again at most once a minute while the user is active (so activity keeps it
alive without a database write per request), and ends it 12 hours after login whatever the
activity. Logout flushes the session; a deactivated user's session stops authenticating at
once (Django's ``ModelBackend`` refuses inactive users on every request).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone

STARTED = "auth_started_at"
TOUCHED = "auth_touched_at"
TOUCH_EVERY_SECONDS = 60


@receiver(user_logged_in)
def _remember_login_time(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED] = now
        request.session[TOUCHED] = now


class SessionLifetimeMiddleware:
    """Place after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            started = request.session.setdefault(STARTED, now)
            if now - int(started) > settings.TAPER_SESSION_ABSOLUTE_SECONDS:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"errors": {"session": ["Your session has ended; log in again."]}},
                        status=401,
                    )
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            if now - int(request.session.get(TOUCHED, 0)) >= TOUCH_EVERY_SECONDS:
                request.session[TOUCHED] = now  # saving renews the idle expiry
        return self.get_response(request)


def end_sessions_of(user_id: Any) -> int:
    """End every open session of the user (database sessions, the default engine); the number
    ended. The sessions live at most ``SESSION_COOKIE_AGE`` after their last use, so there are
    few to read."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return 0
    from django.contrib.sessions.models import Session

    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == str(user_id)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)

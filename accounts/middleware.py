"""Until a session has passed two-factor authentication, its user reaches only the 2FA pages
and logout: pages redirect to the verify page (or to enrolment, for a user without a device),
the API answers 403. A call authenticated by an API token has no session user here and is not
affected. Goes after ``django_otp.middleware.OTPMiddleware``."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from accounts import two_factor

ALLOWED = {"accounts:two-factor-verify", "accounts:two-factor-enrol", "logout", "favicon"}
API_MESSAGE = "Two-factor authentication is needed: enter a code on the verify page first."


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if two_factor.must_verify(request) and not _allowed(request):
            return _refuse(request)
        return self.get_response(request)


def _allowed(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return True  # a 404 either way
    return match.view_name in ALLOWED


def _refuse(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": API_MESSAGE}, status=403)
    user = request.user
    enrolled = two_factor.is_enrolled(user)  # type: ignore[arg-type]
    target = reverse("accounts:two-factor-verify" if enrolled else "accounts:two-factor-enrol")
    if request.method == "GET":
        target += "?" + urlencode({"next": request.get_full_path()})
    return redirect(target)

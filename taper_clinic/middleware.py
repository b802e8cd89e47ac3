"""Project middleware: responses that carry patient data are never stored by a cache."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

NO_STORE_PREFIXES = ("/api/", "/c/")


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (and ``private``) on every response to a logged-in user, on
    every API response and on the patient's check-in link (``/c/<token>/``).

    Patient pages, plans, PDFs and JSON must not stay in a browser's or a proxy's cache, where the
    next user of a shared computer, or the proxy, could read them. Static files (served by
    WhiteNoise before this runs) and the anonymous pages (the login page) keep their own headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if "no-store" in response.get("Cache-Control", ""):
            return response  # the view said so already
        if request.path.startswith(NO_STORE_PREFIXES) or getattr(user, "is_authenticated", False):
            add_never_cache_headers(response)
        return response

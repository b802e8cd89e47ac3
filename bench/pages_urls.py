"""The benchmark's URLconf: the project's URLs plus one bare staff-only view, the reference that
``bench/pages.py`` compares every page with (the same middleware, the same login, no work).

Never part of the app's URLs: ``bench/pages.py`` sets ``ROOT_URLCONF`` to this module.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from accounts.permissions import staff_required


@staff_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("", include("taper_clinic.urls")),
]

"""One error shape for the whole API: ``{"errors": {"field": ["message"]}}`` for bad input and
for conflicts (409, which also name what they conflict with)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _as_field_errors(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {
            key: value if isinstance(value, list | dict) else [value]
            for key, value in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def too_big_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
    return (
        f"The request body is larger than {limit} KB (TAPER_MAX_REQUEST_BYTES); nothing was "
        "read or saved."
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        # Django's own answer is its HTML 400 page; the API answers in its one error shape.
        return Response({"errors": {"body": [too_big_message()]}}, status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    payload = getattr(exc, "payload", None)
    if response.status_code == 409 and isinstance(payload, dict):
        response.data = payload  # a conflict names what it conflicts with (ids stay numbers)
    elif isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": _as_field_errors(exc.detail)}
    elif isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        response.data = {"errors": {"body": [str(exc.detail)]}}
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 (no route matched, e.g. ``/api/v1/plans/abc/``): JSON under ``/api/``, as
    every other API answer; the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)

"""One error shape for the whole API: ``{"errors": {"field": ["message"]}}`` for bad input and
for conflicts (409, which also name what they conflict with)."""

from __future__ import annotations

from typing import Any

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


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
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

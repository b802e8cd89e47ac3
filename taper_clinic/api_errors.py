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


class Conflict(exceptions.APIException):
    """409: the request conflicts with the current state of what it acts on. ``payload`` is the
    body as given (``{"errors": ..., "plan": id}``), ids kept as numbers."""

    status_code = 409
    default_detail = "This conflicts with the current state."
    default_code = "conflict"

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self.payload = payload


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Conflict):
        response.data = exc.payload
    elif isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": _as_field_errors(exc.detail)}
    elif isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        response.data = {"errors": {"body": [str(exc.detail)]}}
    return response

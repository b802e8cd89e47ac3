"""The OpenAPI schema's shared parts: the error shapes and the status codes every operation can
answer (drf-spectacular's ``AutoSchema``, extended).

Every operation documents, besides its own answers: 401 (no or a bad token), 403 (the role may
not), 406 (an Accept header it cannot satisfy), 404 for a path with an id (no such object, or
another clinic's: the two read the same), and for a body or query parameters 400
``{"errors": {"field": ["message"]}}`` and 415 (a body that is not JSON).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

MG_PATTERN = r"^-?[0-9]{1,7}(\.[0-9]{1,4})?$"
"""A milligram value as the API sends and reads it: a decimal string."""


class ErrorsSerializer(serializers.Serializer):
    """``{"errors": {"field": ["message"]}}``. A field is a path into the body
    (``"regimen.0.doses.night"``) or ``non_field_errors``; a list's items may carry their own
    ``{"field": ["message"]}`` objects."""

    errors = serializers.DictField(child=serializers.JSONField())  # type: ignore[assignment]


class DetailSerializer(serializers.Serializer):
    """``{"detail": "message"}``: not logged in, not allowed, not found, method not allowed."""

    detail = serializers.CharField()


class ConflictSerializer(serializers.Serializer):
    """409: ``{"errors": {...}, "plan": id, "revision": id}`` names what the request conflicts
    with."""

    errors = serializers.DictField(child=serializers.JSONField())  # type: ignore[assignment]
    plan = serializers.IntegerField(required=False)
    revision = serializers.IntegerField(required=False)


class ForbiddenSerializer(serializers.Serializer):
    """403 of signing: ``{"detail": "message"}`` (the role may not sign) or
    ``{"errors": {"reauth": ["message"]}}`` (give the password or a code: ``accounts.reauth``)."""

    detail = serializers.CharField(required=False)
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(), required=False
    )


BAD_INPUT = OpenApiResponse(ErrorsSerializer, description="Bad input; nothing was changed.")
REAUTH_FORBIDDEN = OpenApiResponse(
    ForbiddenSerializer,
    description="This role may not sign, or the password or a two-factor code is needed "
    "(the last authentication is more than 5 minutes old, or the request came with a token).",
)
CONFLICT = OpenApiResponse(ConflictSerializer, description="Conflicts with the plan's state.")
_DEFAULTS: dict[str, OpenApiResponse] = {
    "401": OpenApiResponse(DetailSerializer, description="Not logged in, or the token is bad."),
    "403": OpenApiResponse(DetailSerializer, description="This role may not do this."),
    "404": OpenApiResponse(
        DetailSerializer, description="No such object in your clinic (another clinic's too)."
    ),
    "406": OpenApiResponse(
        DetailSerializer, description="The Accept header asks for a type this route never gives."
    ),
    "400": BAD_INPUT,
    "415": OpenApiResponse(ErrorsSerializer, description="The body is not JSON."),
}


class AutoSchema(SpectacularAutoSchema):
    """Adds the error answers every operation can give (module docstring)."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        has_body = self.method in ("POST", "PUT", "PATCH")
        codes = ["401", "403", "406"]
        if "{" in self.path:
            codes.append("404")
        if has_body or self._get_query_parameters_for_schema():
            codes.append("400")
        if has_body:
            codes.append("415")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    _DEFAULTS[code], code, direction=direction
                )
        return dict(sorted(responses.items()))

    def _get_query_parameters_for_schema(self) -> bool:
        return any(
            getattr(parameter, "location", None) == "query"
            for parameter in self.get_override_parameters()
        )


#: Request objects whose parser refuses an unknown key with a message that names it: the plan
#: request (the engine) and the medication record (``medications.record``). Other bodies are read
#: by DRF serializers, which ignore keys they do not know (a patient PATCH with ``"clinic"`` is
#: a 200 that changes no clinic: ``tests/security/test_access_matrix.py``).
CLOSED_REQUESTS = frozenset(
    {
        "PlanPreviewRequest",
        "PlanCreateRequest",
        "PlanRegimenItemRequest",
        "PlanDosesRequest",
        "EditRequest",
        "PlanHoldItemRequest",
        "CustomStepRequest",
        "MedicationRecordBodyRequest",
        "UseRequest",
        "OtherRequest",
        "OtherMedicineRequest",
        "RegimenItemRequest",
    }
)


def close_request_bodies(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the request objects of :data:`CLOSED_REQUESTS` have
    no other keys than those documented (``additionalProperties: false``)."""
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name in CLOSED_REQUESTS and schema.get("type") == "object":
            schema.setdefault("additionalProperties", False)
    return result
